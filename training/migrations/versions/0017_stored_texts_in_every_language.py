"""texts stored for later readers, in every language: enrolments' next step, jobs' summaries and failures

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# (table, the text column it had, the column of texts by language that replaces it)
CHANGES = [('enrolment', 'next_step', 'next_steps'), ('job', 'summary', 'summaries'), ('job_item', 'error', 'errors')]
OLD_TYPES = {'next_step': sa.String(length=300), 'summary': sa.Text(), 'error': sa.Text()}


def _site_language():
    """Texts stored so far were written in the site's language."""
    from flask import current_app, has_app_context

    return current_app.config.get('DEFAULT_LOCALE', 'en') if has_app_context() else 'en'


def _table(name, old, new):
    return sa.table(name, sa.column('id', sa.Integer), sa.column(old, OLD_TYPES[old]), sa.column(new, sa.JSON))


def upgrade():
    bind, language = op.get_bind(), _site_language()
    for name, old, new in CHANGES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column(new, sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        table = _table(name, old, new)
        rows = [{'row_id': row_id, 'texts': {language: text}}
                for row_id, text in bind.execute(sa.select(table.c.id, table.c[old]).where(table.c[old] != ''))]
        if rows:
            bind.execute(table.update().where(table.c.id == sa.bindparam('row_id'))
                         .values({new: sa.bindparam('texts')}), rows)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column(old)


def downgrade():
    bind, language = op.get_bind(), _site_language()
    for name, old, new in reversed(CHANGES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column(old, OLD_TYPES[old], server_default='', nullable=False))
        table = _table(name, old, new)
        rows = []
        for row_id, texts in bind.execute(sa.select(table.c.id, table.c[new])):
            text = (texts or {}).get(language) or next((t for t in (texts or {}).values() if t), '')
            if text:
                rows.append({'row_id': row_id, 'text': text[:300] if old == 'next_step' else text})
        if rows:
            bind.execute(table.update().where(table.c.id == sa.bindparam('row_id'))
                         .values({old: sa.bindparam('text')}), rows)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column(new)
            if old != 'next_step':  # as 0010 made them: no default
                batch_op.alter_column(old, existing_type=OLD_TYPES[old], server_default=None)
