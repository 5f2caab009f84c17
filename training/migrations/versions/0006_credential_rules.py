"""credential rules: whole definitions, enrolment results, evidence, entry attributes

Credential definitions move from separate columns (requirements, renewal and three
numbers that were never read) into one validated ``definition``; existing definitions are
converted, and converted back on downgrade. Every trainee without an enrolment is enrolled
in the default credential from the day their programme started. Training entries whose
domain names ethics keep counting as ethics continuing education, now by an explicit
category. Issued certificates are untouched but for ``issued_as``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:08:01.969255

"""
import os
from datetime import date, datetime

from alembic import op
import sqlalchemy as sa

import training.db_types  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

credential = sa.table('credential', sa.column('id', sa.Integer), sa.column('slug', sa.String),
                      sa.column('title', sa.String), sa.column('description', sa.Text),
                      sa.column('certificate_prefix', sa.String), sa.column('domains', sa.JSON),
                      sa.column('validity_months', sa.Integer), sa.column('definition', sa.JSON),
                      sa.column('requirements', sa.JSON), sa.column('renewal', sa.JSON),
                      sa.column('initial_period_months', sa.Integer),
                      sa.column('supervision_initial_days', sa.Integer),
                      sa.column('supervision_after_days', sa.Integer))


def to_definition(row):
    """The old columns of a credential as a definition in the new format."""
    old, domains = row.requirements or {}, list(row.domains or [])
    items = [{'kind': 'course', 'course': slug} for slug in old.get('courses') or []]
    for key, kind in (('training_hours', 'training_hours'), ('service_hours', 'work_hours')):
        spec = old.get(key) or {}
        if not spec:
            continue
        item = {'kind': kind, 'domains': {d: v for d, v in spec.items() if d in domains}}
        if 'total' in spec:
            item['total'] = spec['total']
        if kind == 'work_hours':
            item['supervision_counts_as_work'] = bool(spec.get('supervision_counts_as_work', False))
            if spec.get('within_months_of_start'):
                item['window'] = {'months': int(spec['within_months_of_start']), 'start': 'enrolment'}
        items.append(item)
    supervision = old.get('supervision_hours') or {}
    if supervision.get('total'):
        item = {'kind': 'supervision_hours', 'total': supervision['total']}
        if supervision.get('group_cap') is not None:
            item['group_at_most'] = supervision['group_cap']
        items.append(item)
    if old.get('exam'):
        items.append({'kind': 'exam', 'course': old['exam']})
    definition = {'slug': row.slug, 'title': row.title, 'description': row.description or '',
                  'certificate_prefix': row.certificate_prefix, 'domains': domains, 'requirements': items,
                  'validity_months': row.validity_months or 24}
    renewal = row.renewal or {}
    if renewal.get('continuing_education_hours'):
        cycle = 'calendar_year' if renewal.get('period_months') == 12 else 'from_issue'
        definition['renewal'] = {'cycle': cycle, 'hours': renewal['continuing_education_hours'], 'categories': (
            {'ethics': {'label': 'Ethics', 'hours': renewal['ethics_hours']}} if renewal.get('ethics_hours') else {})}
    return definition


def from_definition(definition):
    """A definition in the old columns, as far as they can say it."""
    old = {}
    for item in definition.get('requirements') or []:
        kind = item.get('kind')
        if kind == 'course':
            old.setdefault('courses', []).append(item['course'])
        elif kind in ('training_hours', 'work_hours'):
            spec = dict(item.get('domains') or {})
            if item.get('total') is not None:
                spec['total'] = item['total']
            if kind == 'work_hours':
                if item.get('window'):
                    spec['within_months_of_start'] = item['window']['months']
                spec['supervision_counts_as_work'] = bool(item.get('supervision_counts_as_work'))
            old['training_hours' if kind == 'training_hours' else 'service_hours'] = spec
        elif kind == 'supervision_hours':
            old['supervision_hours'] = {'total': item['total']}
            if item.get('group_at_most') is not None:
                old['supervision_hours']['group_cap'] = item['group_at_most']
        elif kind == 'exam':
            old['exam'] = item['course']
    renewal = {}
    if definition.get('renewal'):
        new = definition['renewal']
        renewal = {'period_months': 12 if new.get('cycle') == 'calendar_year' else definition.get('validity_months', 24),
                   'continuing_education_hours': new.get('hours')}
        ethics = (new.get('categories') or {}).get('ethics')
        if ethics:
            renewal['ethics_hours'] = ethics.get('hours')
    return old, renewal


def upgrade():
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('signed_name', sa.String(length=120), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', training.db_types.UTCDateTime(), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', training.db_types.UTCDateTime(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('created_at', training.db_types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'accepted', 'returned', 'withdrawn')", name=op.f('ck_evidence_known_status')),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_evidence_attachment_id_attachment')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_evidence_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_evidence_reviewer_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_evidence_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_user_key', ['user_id', 'key'], unique=False)

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_as', sa.String(length=10), server_default='award', nullable=False))
        batch_op.create_check_constraint(op.f('ck_certificate_known_issue'), "issued_as IN ('award', 'renewal', 'extension')")
    op.execute("UPDATE certificate SET issued_as = 'renewal' WHERE previous_id IS NOT NULL")

    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definition', sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(credential)).all():
        connection.execute(credential.update().where(credential.c.id == row.id).values(definition=to_definition(row)))
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.alter_column('definition', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('initial_period_months')
        batch_op.drop_column('supervision_initial_days')
        batch_op.drop_column('supervision_after_days')
        batch_op.drop_column('renewal')
        batch_op.drop_column('requirements')

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('eligible', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('items_met', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('items_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_step', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('evaluated_at', training.db_types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_enrolment_credential_eligible', ['credential_id', 'eligible'], unique=False)
        batch_op.create_check_constraint(op.f('ck_enrolment_ends_after_start'), 'ended_on IS NULL OR ended_on >= started_on')

    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('category', sa.String(length=50), server_default='', nullable=False))

    op.execute("UPDATE hour_entry SET category = 'ethics' WHERE kind = 'training' AND lower(domain) LIKE '%ethic%'")
    _enrol_trainees(connection)


def _enrol_trainees(connection):
    """Trainees who have no enrolment are enrolled in the default credential, as the platform assumed."""
    slug = os.environ.get('DEFAULT_CREDENTIAL', 'peer-recovery-specialist')
    default = connection.execute(sa.text('SELECT id FROM credential WHERE slug = :slug'), {'slug': slug}).scalar()
    if default is None:
        return
    rows = connection.execute(sa.text(
        "SELECT u.id, u.programme_started_on, u.created_at FROM \"user\" u "
        "JOIN user_role r ON r.user_id = u.id AND r.role = 'trainee' "
        "WHERE NOT EXISTS (SELECT 1 FROM enrolment e WHERE e.user_id = u.id)")).all()
    now = datetime.utcnow().replace(microsecond=0)
    for user_id, started, created in rows:
        if isinstance(started, str):
            started = date.fromisoformat(started[:10])
        if started is None and created is not None:
            started = created.date() if hasattr(created, 'date') else date.fromisoformat(str(created)[:10])
        connection.execute(sa.text(
            'INSERT INTO enrolment (user_id, credential_id, started_on, created_at, eligible, items_met, items_total, '
            'next_step) VALUES (:user, :credential, :started, :now, :no, 0, 0, :empty)'),
            {'user': user_id, 'credential': default, 'started': started or date.today(), 'now': now, 'no': False,
             'empty': ''})


def downgrade():
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.drop_column('category')
        batch_op.drop_column('attributes')

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrolment_ends_after_start'), type_='check')
        batch_op.drop_index('ix_enrolment_credential_eligible')
        batch_op.drop_column('evaluated_at')
        batch_op.drop_column('next_step')
        batch_op.drop_column('items_total')
        batch_op.drop_column('items_met')
        batch_op.drop_column('eligible')
        batch_op.drop_column('ended_on')

    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requirements', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('renewal', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('supervision_after_days', sa.Integer(), server_default='31', nullable=False))
        batch_op.add_column(sa.Column('supervision_initial_days', sa.Integer(), server_default='7', nullable=False))
        batch_op.add_column(sa.Column('initial_period_months', sa.Integer(), server_default='6', nullable=False))
    connection = op.get_bind()
    for row in connection.execute(sa.select(credential.c.id, credential.c.definition)).all():
        old, renewal = from_definition(row.definition or {})
        connection.execute(credential.update().where(credential.c.id == row.id).values(requirements=old, renewal=renewal))
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.alter_column('requirements', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('renewal', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('definition')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_certificate_known_issue'), type_='check')
        batch_op.drop_column('issued_as')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_user_key')

    op.drop_table('evidence')
