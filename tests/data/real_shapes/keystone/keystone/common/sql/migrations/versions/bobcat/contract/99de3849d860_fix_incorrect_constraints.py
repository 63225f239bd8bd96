# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Fix incorrect constraints.

Revision ID: 99de3849d860
Revises: e25ffa003242
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '99de3849d860'
down_revision = 'e25ffa003242'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('SELECT 1')
