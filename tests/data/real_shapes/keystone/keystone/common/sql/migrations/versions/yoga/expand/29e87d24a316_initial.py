# A keystone-like revision, reconstructed for migration-guard's tests (see README.md).

"""Initial no-op Yoga expand migration.

Revision ID: 29e87d24a316
Revises: 27e647c0fad4
Create Date: 2023-01-01 00:00:00.000000
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '29e87d24a316'
down_revision = '27e647c0fad4'
branch_labels = ('expand',)
depends_on = None


def upgrade():
    op.execute('SELECT 1')
