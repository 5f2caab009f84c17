"""each trainee's running hour totals, kept with every entry change, for the burnout signals

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 05:00:00

"""
from alembic import op
import sqlalchemy as sa

from training.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hour_summary',
        sa.Column('trainee_id', sa.Integer(), nullable=False),
        sa.Column('service_minutes', sa.Integer(), server_default='0', nullable=False),
        sa.Column('supervision_minutes', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_supervision', sa.Date(), nullable=True),
        sa.Column('pending_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('oldest_pending_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_hour_summary_trainee_id_user')),
        sa.PrimaryKeyConstraint('trainee_id', name=op.f('pk_hour_summary')),
    )
    # The totals of the entries logged so far, one row per trainee who has any.
    op.execute("""
        INSERT INTO hour_summary (trainee_id, service_minutes, supervision_minutes, last_supervision,
                                  pending_count, oldest_pending_at)
        SELECT trainee_id,
               coalesce(sum(CASE WHEN kind = 'service' AND status = 'approved' THEN minutes END), 0),
               coalesce(sum(CASE WHEN kind = 'supervision' AND status = 'approved' THEN minutes END), 0),
               max(CASE WHEN kind = 'supervision' AND status = 'approved' THEN occurred_on END),
               count(CASE WHEN status = 'pending' THEN 1 END),
               min(CASE WHEN status = 'pending' THEN submitted_at END)
        FROM hour_entry GROUP BY trainee_id
    """)


def downgrade():
    op.drop_table('hour_summary')
