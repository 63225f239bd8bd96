"""Create journals

Revision ID: 0001
Revises:
Create Date: 2025-06-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("journals", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("journals")
