"""background jobs of every kind, with an item per unit of work (replaces bulk_issue_job)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 19:40:00

"""
import json

import sqlalchemy as sa
from alembic import op

import training.db_types

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _json(value, default):
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('result_path', sa.String(length=500), nullable=True),
    sa.Column('result_size', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', training.db_types.UTCDateTime(), nullable=False),
    sa.Column('started_at', training.db_types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', training.db_types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'finished')", name=op.f('ck_job_known_status')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_job_started_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_started_by_id'), ['started_by_id'], unique=False)

    op.create_table('job_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('finished_at', training.db_types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name=op.f('ck_job_item_known_status')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_item_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_item')),
    sa.UniqueConstraint('job_id', 'key', name=op.f('uq_job_item_job_id_key'))
    )
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.create_index('ix_job_item_job_id_status', ['job_id', 'status'], unique=False)

    _copy_bulk_issue_jobs_up()
    op.drop_table('bulk_issue_job')


def _copy_bulk_issue_jobs_up():
    """Each earlier bulk issue becomes a job with one item per trainee: done, failed (with its reason) or pending."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, credential_id, started_by_id, user_ids, total, done, failures, status, "
                                "created_at, finished_at FROM bulk_issue_job ORDER BY id")).mappings().all()
    if not rows:
        return
    emails = dict(conn.execute(sa.text('SELECT id, email FROM "user"')).all())
    job, item = sa.table('job', *(sa.column(c) for c in (
        'id', 'kind', 'params', 'started_by_id', 'status', 'total', 'done', 'failed', 'summary', 'created_at',
        'finished_at'))), sa.table('job_item', *(sa.column(c) for c in (
            'job_id', 'key', 'label', 'status', 'error', 'attempts')))
    for row in rows:
        user_ids = _json(row['user_ids'], [])
        reasons = {f.get('user'): f.get('reason', '') for f in _json(row['failures'], [])}
        items = []
        for index, user_id in enumerate(user_ids):
            label = emails.get(user_id, str(user_id))
            status = 'pending' if index >= row['done'] else ('failed' if label in reasons else 'done')
            items.append({'job_id': row['id'], 'key': str(user_id), 'label': label[:200], 'status': status,
                          'error': reasons.get(label, '') if status == 'failed' else '',
                          'attempts': 0 if status == 'pending' else 1})
        status = row['status'] if row['status'] in ('queued', 'running', 'finished') else 'finished'
        conn.execute(job.insert().values(
            id=row['id'], kind='bulk_issue', params=json.dumps({'credential_id': row['credential_id']}),
            started_by_id=row['started_by_id'], status=status, total=row['total'], done=row['done'],
            failed=sum(1 for i in items if i['status'] == 'failed'), summary='', created_at=row['created_at'],
            finished_at=row['finished_at']))
        if items:
            conn.execute(item.insert(), items)
    if conn.dialect.name == 'postgresql':
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('job', 'id'), (SELECT max(id) FROM job))"))


def downgrade():
    op.create_table('bulk_issue_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('user_ids', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('failures', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', training.db_types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', training.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_bulk_issue_job_credential_id_credential')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_bulk_issue_job_started_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_issue_job'))
    )
    _copy_bulk_issue_jobs_down()
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.drop_index('ix_job_item_job_id_status')
    op.drop_table('job_item')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_started_by_id'))
    op.drop_table('job')


def _copy_bulk_issue_jobs_down():
    """Bulk issue jobs go back to their one-row form; other kinds of job did not exist before."""
    conn = op.get_bind()
    jobs = conn.execute(sa.text("SELECT id, params, started_by_id, status, total, done, created_at, finished_at "
                                "FROM job WHERE kind = 'bulk_issue' ORDER BY id")).mappings().all()
    table = sa.table('bulk_issue_job', *(sa.column(c) for c in (
        'id', 'credential_id', 'started_by_id', 'user_ids', 'total', 'done', 'issued', 'failures', 'status',
        'created_at', 'finished_at')))
    for row in jobs:
        credential_id = _json(row['params'], {}).get('credential_id')
        if credential_id is None:
            continue
        items = conn.execute(sa.text("SELECT key, label, status, error FROM job_item WHERE job_id = :id ORDER BY id"),
                             {'id': row['id']}).mappings().all()
        # The old form counts progress as a prefix of its list: finished items first, in their order.
        items = sorted(items, key=lambda i: i['status'] == 'pending')
        failures = [{'user': i['label'], 'reason': i['error']} for i in items if i['status'] == 'failed']
        conn.execute(table.insert().values(
            id=row['id'], credential_id=credential_id, started_by_id=row['started_by_id'],
            user_ids=json.dumps([int(i['key']) for i in items]), total=row['total'], done=row['done'],
            issued=row['done'] - len(failures), failures=json.dumps(failures), status=row['status'],
            created_at=row['created_at'], finished_at=row['finished_at']))
    if jobs and conn.dialect.name == 'postgresql':
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('bulk_issue_job', 'id'), "
                             "coalesce((SELECT max(id) FROM bulk_issue_job), 1))"))
