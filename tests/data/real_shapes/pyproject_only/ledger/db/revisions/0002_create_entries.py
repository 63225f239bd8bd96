"""Create entries

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("entries", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("entries")
