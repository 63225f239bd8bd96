"""Create invoices

Revision ID: 7a8b9c0d1e2f
Revises: 1f2e3d4c5b6a
Create Date: 2024-05-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7a8b9c0d1e2f"
down_revision = "1f2e3d4c5b6a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("invoices", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("invoices")
