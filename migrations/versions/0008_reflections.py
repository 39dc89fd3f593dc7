"""reflections: what a student wrote about their feedback report in a course

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reflection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(text) <= 2000', name=op.f('ck_reflection_text_short')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_reflection_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['user_account.id'], name=op.f('fk_reflection_student_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reflection')),
    sa.UniqueConstraint('course_id', 'student_id', name=op.f('uq_reflection_course_id_student_id'))
    )
    with op.batch_alter_table('reflection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reflection_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reflection_student_id'), ['student_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reflection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reflection_student_id'))
        batch_op.drop_index(batch_op.f('ix_reflection_course_id'))
    op.drop_table('reflection')
