"""
Add TeamSync table.

Revision ID: be8d1c402ce0
Revises: a6c463dfb9fe
Create Date: 2017-02-23 13:34:52.000000
"""

# revision identifiers, used by Alembic.
revision = "be8d1c402ce0"
down_revision = "a6c463dfb9fe"

import sqlalchemy as sa


def upgrade(op, tables, tester):
    op.create_table("teamsync", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade(op, tables, tester):
    op.drop_table("teamsync")
