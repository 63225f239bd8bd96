"""Create flows

Revision ID: 6b1e2c7d9a01
Revises:
Create Date: 2021-03-04 10:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "6b1e2c7d9a01"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("po_create_flows", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("po_create_flows")
