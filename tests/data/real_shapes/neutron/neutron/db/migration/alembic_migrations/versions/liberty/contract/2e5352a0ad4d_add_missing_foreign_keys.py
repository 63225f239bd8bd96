# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""Add missing foreign keys

Revision ID: 2e5352a0ad4d
Revises: 30018084ec99
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '2e5352a0ad4d'
down_revision = '30018084ec99'
depends_on = ('313373c0ffee',)


def upgrade():
    op.execute('SELECT 1')
