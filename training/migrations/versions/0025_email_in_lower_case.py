"""every e-mail address in lower case, so that finding someone by address reads the unique index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 11:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    # An address whose lower-case form another account already has keeps its case: which of the
    # two is the person's is for an administrator to decide.
    op.execute('UPDATE "user" SET email = lower(email) WHERE email <> lower(email) AND NOT EXISTS '
               '(SELECT 1 FROM "user" AS other WHERE other.email = lower("user".email))')


def downgrade():
    # Addresses in lower case are what every version of the application writes: nothing to undo.
    pass
