# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Remove service_provider.relay_state_prefix server default.

Revision ID: 11c3b243b4cb
Revises: b4f8b3f584e0
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '11c3b243b4cb'
down_revision = 'b4f8b3f584e0'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('SELECT 1')
