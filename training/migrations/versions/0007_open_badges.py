"""open badges: issuer keys, status lists, holders, stored signed credentials; certificate images

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 16:30:00

Certificates issued before this revision get their signed credentials the first time they
are asked for, or all at once with `flask --app app certificates sign-missing`.
"""
from alembic import op
import sqlalchemy as sa

import training.db_types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issuer_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('algorithm', sa.String(length=10), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('private_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', training.db_types.UTCDateTime(), nullable=False),
    sa.Column('retired_at', training.db_types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer_key')),
    sa.UniqueConstraint('algorithm', 'generation', name=op.f('uq_issuer_key_algorithm_generation')),
    sa.UniqueConstraint('name', name=op.f('uq_issuer_key_name'))
    )
    op.create_table('status_list',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('credential', sa.Text(), nullable=False),
    sa.Column('updated_at', training.db_types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_list'))
    )
    op.create_table('badge_holder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', training.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_badge_holder_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_holder')),
    sa.UniqueConstraint('public_id', name=op.f('uq_badge_holder_public_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_badge_holder_user_id'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('signed_jwt', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('image_png', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('image_png')
        batch_op.drop_column('signed_jwt')
        batch_op.drop_column('signed_json')
    op.drop_table('badge_holder')
    op.drop_table('status_list')
    op.drop_table('issuer_key')
