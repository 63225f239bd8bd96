"""
Quay initial schema.

Revision ID: 1c0f6ede8992
Revises: None
Create Date: 2017-10-10 14:36:06.000000
"""

# revision identifiers, used by Alembic.
revision = "1c0f6ede8992"
down_revision = None

import sqlalchemy as sa


def upgrade(op, tables, tester):
    op.create_table("user", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade(op, tables, tester):
    op.drop_table("user")
