"""more attempts at a quiz for one trainee, allowed by an administrator with a reason

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 07:30:00

"""
from alembic import op
import sqlalchemy as sa

from training.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attempt_allowance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('quiz_id', sa.Integer(), nullable=False),
        sa.Column('after_attempts', sa.Integer(), nullable=False),
        sa.Column('extra', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('extra > 0', name=op.f('ck_attempt_allowance_some_extra')),
        sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_attempt_allowance_granted_by_id_user')),
        sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_attempt_allowance_quiz_id_quiz')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_attempt_allowance_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_allowance')),
        sa.UniqueConstraint('user_id', 'quiz_id', 'after_attempts',
                            name=op.f('uq_attempt_allowance_user_id_quiz_id_after_attempts')),
    )


def downgrade():
    op.drop_table('attempt_allowance')
