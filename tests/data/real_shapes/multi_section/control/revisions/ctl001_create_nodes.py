"""Create nodes

Revision ID: ctl001
Revises:
Create Date: 2025-01-15 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "ctl001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("nodes", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("nodes")
