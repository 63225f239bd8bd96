# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Fix incorrect constraints.

Revision ID: b4f8b3f584e0
Revises: 29e87d24a316
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'b4f8b3f584e0'
down_revision = '29e87d24a316'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('SELECT 1')
