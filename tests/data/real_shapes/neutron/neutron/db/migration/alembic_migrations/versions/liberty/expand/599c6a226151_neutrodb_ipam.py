# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""neutrodb_ipam

Revision ID: 599c6a226151
Revises: kilo
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op

from neutron.db.migration import cli

# revision identifiers, used by Alembic.
revision = '599c6a226151'
down_revision = 'kilo'
branch_labels = (cli.EXPAND_BRANCH,)


def upgrade():
    op.execute('SELECT 1')
