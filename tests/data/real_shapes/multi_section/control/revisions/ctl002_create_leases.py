"""Create leases

Revision ID: ctl002
Revises: ctl001
Create Date: 2025-01-15 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "ctl002"
down_revision = "ctl001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("leases", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("leases")
