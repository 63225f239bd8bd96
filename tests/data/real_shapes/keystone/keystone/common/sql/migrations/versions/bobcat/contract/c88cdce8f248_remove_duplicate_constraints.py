# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Remove duplicate constraints.

Revision ID: c88cdce8f248
Revises: 99de3849d860
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'c88cdce8f248'
down_revision = '99de3849d860'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('SELECT 1')
