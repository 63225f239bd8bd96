"""
Add namespace notification log entry kinds.

Revision ID: 9fa37f66a9b6
Revises: be8d1c402ce0
Create Date: 2024-01-08 10:02:11.000000
"""

# revision identifiers, used by Alembic.
revision = "9fa37f66a9b6"
down_revision = "be8d1c402ce0"


def upgrade(op, tables, tester):
    op.bulk_insert(tables.logentrykind, [{"name": "create_namespace_notification"}])


def downgrade(op, tables, tester):
    pass
