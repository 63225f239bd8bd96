# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Initial no-op Yoga contract migration.

Revision ID: e25ffa003242
Revises: 27e647c0fad4
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'e25ffa003242'
down_revision = '27e647c0fad4'
branch_labels = ('contract',)
depends_on = None


def upgrade():
    op.execute('SELECT 1')
