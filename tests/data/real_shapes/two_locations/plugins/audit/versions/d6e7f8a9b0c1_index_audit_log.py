"""Index audit log

Revision ID: d6e7f8a9b0c1
Revises: b0c1d2e3f4a5
Create Date: 2024-05-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d6e7f8a9b0c1"
down_revision = "b0c1d2e3f4a5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit_index", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("audit_index")
