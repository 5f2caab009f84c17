"""indexes for credential facts and name-ordered lists

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # On SQLite an expression index does not survive a later rebuild of the table by a batch
    # migration (it cannot be reflected); such a migration must create it again. Speed only.

    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.create_index('ix_hour_entry_trainee_facts', ['trainee_id', 'status', 'kind', 'domain',
                                                               'supervision_format', 'attributes', 'category',
                                                               'occurred_on', 'minutes'], unique=False)
    op.create_index('ix_user_name_lower', 'user', [sa.text('lower(full_name)'), 'id'], unique=False)


def downgrade():
    op.drop_index('ix_user_name_lower', table_name='user')
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_hour_entry_trainee_facts')
