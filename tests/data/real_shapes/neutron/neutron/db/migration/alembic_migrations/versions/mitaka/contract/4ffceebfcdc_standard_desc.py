# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""standard_desc

Revision ID: 4ffceebfcdc
Revises: 2e5352a0ad4d
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '4ffceebfcdc'
down_revision = '2e5352a0ad4d'
depends_on = ('0e66c5227a8a',)


def upgrade():
    op.execute('SELECT 1')
