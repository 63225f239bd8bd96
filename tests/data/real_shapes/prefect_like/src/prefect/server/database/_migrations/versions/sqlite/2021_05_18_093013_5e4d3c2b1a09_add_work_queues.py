"""Add work queues

Revision ID: 5e4d3c2b1a09
Revises: a1f0e9d8c7b6
Create Date: 2021-05-18 09:30:13
"""

import sqlalchemy as sa
from alembic import op

revision = "5e4d3c2b1a09"
down_revision = "a1f0e9d8c7b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sq_add_work_queues", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("sq_add_work_queues")
