# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""Add port hardware offload type

Revision ID: 682c319773d7
Revises: 0e66c5227a8a
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '682c319773d7'
down_revision = '0e66c5227a8a'


def upgrade():
    op.execute('SELECT 1')
