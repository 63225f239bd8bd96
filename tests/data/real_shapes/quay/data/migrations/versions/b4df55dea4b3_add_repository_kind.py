"""
add repository kind.

Revision ID: b4df55dea4b3
Revises: 1c0f6ede8992
Create Date: 2017-03-19 12:59:41.000000
"""

# revision identifiers, used by Alembic.
revision = "b4df55dea4b3"
down_revision = "1c0f6ede8992"

import sqlalchemy as sa


def upgrade(op, tables, tester):
    op.add_column("repository", sa.Column("kind_id", sa.Integer(), nullable=True))


def downgrade(op, tables, tester):
    op.drop_column("repository", "kind_id")
