"""notifications say what they say in every language, so each reader sees their language of the day

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BATCH = 1000


def _site_language():
    from flask import current_app, has_app_context

    return current_app.config.get('DEFAULT_LOCALE', 'en') if has_app_context() else 'en'


notification = sa.table('notification', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                        sa.column('message', sa.Text), sa.column('messages', sa.JSON))
user = sa.table('user', sa.column('id', sa.Integer), sa.column('locale', sa.String))


def _batches(bind, column):
    """Every notification's id, ``column`` and its reader's language, a batch at a time."""
    last = 0
    while True:
        rows = bind.execute(sa.select(notification.c.id, column.label('stored'), user.c.locale)
                            .join(user, user.c.id == notification.c.user_id)
                            .where(notification.c.id > last).order_by(notification.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def upgrade():
    """A message stored so far was written in its reader's language then: their own, or the site's."""
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('messages', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    bind, site = op.get_bind(), _site_language()
    for rows in _batches(bind, notification.c.message):
        bind.execute(notification.update().where(notification.c.id == sa.bindparam('row_id'))
                     .values(messages=sa.bindparam('texts')),
                     [{'row_id': row.id, 'texts': {row.locale or site: row.stored}} for row in rows])
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('message')


def downgrade():
    """Each message in its reader's language, else the site's, else any."""
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), server_default='', nullable=False))
    bind, site = op.get_bind(), _site_language()
    for rows in _batches(bind, notification.c.messages):
        bind.execute(notification.update().where(notification.c.id == sa.bindparam('row_id'))
                     .values(message=sa.bindparam('text')),
                     [{'row_id': row.id, 'text': _in_language(row.stored or {}, row.locale or site, site)}
                      for row in rows])
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('messages')
        batch_op.alter_column('message', existing_type=sa.Text(), server_default=None)  # as 0012 made it


def _in_language(texts, language, site):
    return texts.get(language) or texts.get(site) or next((text for text in texts.values() if text), '')
