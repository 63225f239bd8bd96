"""Add work queues

Revision ID: c3d4a5b6e7f8
Revises: 6b1e2c7d9a01
Create Date: 2021-05-18 09:30:12
"""

import sqlalchemy as sa
from alembic import op

revision = "c3d4a5b6e7f8"
down_revision = "6b1e2c7d9a01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("po_add_work_queues", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("po_add_work_queues")
