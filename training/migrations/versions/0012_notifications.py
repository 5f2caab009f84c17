"""notifications and each person's choice of e-mail at once or a daily digest

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 19:50:00

"""
from alembic import op
import sqlalchemy as sa

from training.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('event_key', sa.String(length=120), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('endpoint', sa.String(length=80), server_default='', nullable=False),
        sa.Column('link_args', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('read_at', UTCDateTime(), nullable=True),
        sa.Column('emailed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
        sa.UniqueConstraint('user_id', 'event_key', name=op.f('uq_notification_user_id_event_key')),
    )
    op.create_index('ix_notification_user_read', 'notification', ['user_id', 'read_at', 'id'], unique=False)
    op.create_index('ix_notification_unsent', 'notification', ['emailed_at', 'user_id'], unique=False)
    op.create_table(
        'notification_setting',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('delivery', sa.String(length=10), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("delivery IN ('immediate', 'digest')",
                           name=op.f('ck_notification_setting_known_delivery')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_setting_user_id_user')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_setting')),
    )


def downgrade():
    op.drop_table('notification_setting')
    op.drop_index('ix_notification_unsent', table_name='notification')
    op.drop_index('ix_notification_user_read', table_name='notification')
    op.drop_table('notification')
