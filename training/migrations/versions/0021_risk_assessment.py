"""each trainee's burnout level, kept so that caseloads and programme lists sort by risk

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # Empty at first: a trainee without a row is assessed the first time a list needs them.
    op.create_table(
        'risk_assessment',
        sa.Column('trainee_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), server_default='0', nullable=False),
        sa.Column('assessed_on', sa.Date(), nullable=True),
        sa.Column('settings', sa.String(length=16), server_default='', nullable=False),
        sa.Column('level', sa.Integer(), nullable=True),
        sa.Column('weight', sa.Integer(), nullable=True),
        sa.Column('level_without_wellbeing', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['trainee_id'], ['user.id'], name=op.f('fk_risk_assessment_trainee_id_user')),
        sa.PrimaryKeyConstraint('trainee_id', name=op.f('pk_risk_assessment')),
    )


def downgrade():
    op.drop_table('risk_assessment')
