"""Create flows

Revision ID: a1f0e9d8c7b6
Revises:
Create Date: 2021-03-04 10:15:01
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f0e9d8c7b6"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("sq_create_flows", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("sq_create_flows")
