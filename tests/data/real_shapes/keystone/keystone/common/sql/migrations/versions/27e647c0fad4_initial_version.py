# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Initial version.

Revision ID: 27e647c0fad4
Revises:
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '27e647c0fad4'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute('SELECT 1')
