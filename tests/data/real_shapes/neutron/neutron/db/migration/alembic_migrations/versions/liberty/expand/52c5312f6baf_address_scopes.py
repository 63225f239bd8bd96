# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""address scopes

Revision ID: 52c5312f6baf
Revises: 599c6a226151
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '52c5312f6baf'
down_revision = '599c6a226151'


def upgrade():
    op.execute('SELECT 1')
