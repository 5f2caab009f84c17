"""a small index of the hour entries waiting for approval; renewed certificates found by index

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 20:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    # Entries waiting for approval are a small, recent share of the table: counting them and
    # finding the oldest per trainee reads this index alone, whatever the table's size.
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.create_index('ix_hour_entry_pending', ['trainee_id', 'submitted_at'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
    # The verification page looks for a certificate renewing the one shown.
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_previous_id'), ['previous_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_previous_id'))
    with op.batch_alter_table('hour_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_hour_entry_pending')
