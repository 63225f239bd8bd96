# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""flavors

Revision ID: 313373c0ffee
Revises: 52c5312f6baf
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = '313373c0ffee'
down_revision = '52c5312f6baf'


def upgrade():
    op.execute('SELECT 1')
