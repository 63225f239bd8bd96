# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""network_rbac_external

Revision ID: 5ffceebfada
Revises: 4ffceebfcdc
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '5ffceebfada'
down_revision = '4ffceebfcdc'
depends_on = ()


def upgrade():
    op.execute('SELECT 1')
