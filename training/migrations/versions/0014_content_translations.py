"""courses, modules, questions and certificates in other languages

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_translation_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_translation')),
    sa.UniqueConstraint('course_id', 'locale', name=op.f('uq_course_translation_course_id_locale'))
    )
    op.create_table('module_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('objectives', sa.JSON(), nullable=False),
    sa.Column('reflection', sa.Text(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('source_path', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_translation_module_id_module')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_translation')),
    sa.UniqueConstraint('module_id', 'locale', name=op.f('uq_module_translation_module_id_locale'))
    )
    op.create_table('question_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('stem_format', sa.String(length=10), nullable=False),
    sa.Column('stem_html', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('source_file', sa.String(length=500), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_translation_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_translation')),
    sa.UniqueConstraint('question_id', 'locale', name=op.f('uq_question_translation_question_id_locale'))
    )


    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('translations')
        batch_op.drop_column('locale')
    op.drop_table('question_translation')
    op.drop_table('module_translation')
    op.drop_table('course_translation')
