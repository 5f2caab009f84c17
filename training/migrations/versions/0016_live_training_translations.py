"""live trainings in other languages: title, summary and session topics per language

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_training', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('live_training', schema=None) as batch_op:
        batch_op.drop_column('translations')
