# A neutron-like revision, reconstructed for migration-guard's tests (see README.md).
#

"""Initial no-op Liberty contract rule.

Revision ID: 30018084ec99
Revises: kilo
Create Date: 2015-01-01 00:00:00.000000

"""

from alembic import op

from neutron.db.migration import cli

# revision identifiers, used by Alembic.
revision = '30018084ec99'
down_revision = 'kilo'
branch_labels = (cli.CONTRACT_BRANCH,)


def upgrade():
    op.execute('SELECT 1')
