"""Index flow runs

Revision ID: 0e9f8d7c6b5a
Revises: c3d4a5b6e7f8
Create Date: 2022-02-21 11:10:50
"""

import sqlalchemy as sa
from alembic import op

revision = "0e9f8d7c6b5a"
down_revision = "c3d4a5b6e7f8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("po_index_flow_runs", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("po_index_flow_runs")
