# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Add Identity Federation attribute mapping schema version.

Revision ID: 47147121
Revises: 11c3b243b4cb
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '47147121'
down_revision = '11c3b243b4cb'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('SELECT 1')
