"""certificates found by expiry date, and documents waiting for review, by index

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

SUBMITTED = sa.text("status = 'submitted'")


def upgrade():
    # The expiry reminders, the administrators' dashboard and the certificates list all look for
    # the certificates expiring in the next weeks, a small share of every certificate ever issued.
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_expires_on'), ['expires_on'], unique=False)
    # Documents waiting for review, oldest first: counted and listed from this index alone.
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_submitted', ['created_at', 'id'], unique=False,
                              postgresql_where=SUBMITTED, sqlite_where=SUBMITTED)


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_submitted')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_expires_on'))
