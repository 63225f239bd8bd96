"""Create manifests

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-15 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("manifests", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("manifests")
