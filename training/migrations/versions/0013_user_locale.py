"""each person's language

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _keep_name_index():
    """On SQLite a batch rebuild of "user" drops the expression index on lower(full_name); put it back."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The inspector cannot reflect an expression index on SQLite: ask the catalogue itself.
    found = bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_user_name_lower'"))
    if found.first() is None:
        op.create_index('ix_user_name_lower', 'user', [sa.text('lower(full_name)'), 'id'], unique=False)


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))
    _keep_name_index()


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')
    _keep_name_index()
