# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""Add desc to standard attr table

Revision ID: 0e66c5227a8a
Revises: 313373c0ffee
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '0e66c5227a8a'
down_revision = '313373c0ffee'


def upgrade():
    op.execute('SELECT 1')
