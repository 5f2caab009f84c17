"""hour entries carry the key of the form that sent them, so a form sent twice makes one entry

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 03:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # Entries logged so far have no key: NULLs never collide in the unique index.
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_hour_entry_submission_key', ['trainee_id', 'submission_key'], unique=True)


def downgrade():
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_hour_entry_submission_key')
        batch_op.drop_column('submission_key')
