"""people's names as lists search and sort them: without accents, in any case

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 05:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

BATCH = 1000


def name_key(words):
    """The application's ``training.auth.models.name_key`` as of this revision."""
    decomposed = unicodedata.normalize("NFKD", words or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()[:120]


def upgrade():
    # Added on its own (no table rebuild on SQLite), then filled from each name.
    op.add_column('user', sa.Column('name_key', sa.String(length=120), server_default='', nullable=False))
    bind = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                    sa.column('name_key', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(user.c.id, user.c.full_name).where(user.c.id > last)
                            .order_by(user.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(user.update().where(user.c.id == sa.bindparam('user_id')),
                     [{'user_id': row.id, 'name_key': name_key(row.full_name)} for row in rows])
        last = rows[-1].id
    op.drop_index('ix_user_name_lower', table_name='user')
    op.create_index('ix_user_name_key', 'user', ['name_key', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_user_name_key', table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('name_key')
    # After a rebuild of the table on SQLite too (an expression index cannot be reflected).
    op.create_index('ix_user_name_lower', 'user', [sa.text('lower(full_name)'), 'id'], unique=False)
