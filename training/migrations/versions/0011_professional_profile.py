"""professional details on people's profiles, for supervision verification reports

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = (('job_title', 120), ('professional_credential', 200), ('credential_number', 60), ('phone', 40),
           ('organisation_name', 200), ('organisation_address', 500))


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), server_default='', nullable=False))


def downgrade():
    # A rebuild of the table on SQLite loses the expression index (it cannot be reflected): make it again.
    op.drop_index('ix_user_name_lower', table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
    op.create_index('ix_user_name_lower', 'user', [sa.text('lower(full_name)'), 'id'], unique=False)
