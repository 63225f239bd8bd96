"""Create audit log

Revision ID: b0c1d2e3f4a5
Revises: 7a8b9c0d1e2f
Create Date: 2024-05-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b0c1d2e3f4a5"
down_revision = "7a8b9c0d1e2f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit_log", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("audit_log")
