"""Create accounts

Revision ID: 1f2e3d4c5b6a
Revises:
Create Date: 2024-05-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "1f2e3d4c5b6a"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("accounts")
