# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""kilo_initial

Revision ID: kilo
Revises: None
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = 'kilo'
down_revision = None


def upgrade():
    op.execute('SELECT 1')
