"""the attitudes survey over time: schedules, rounds (windows), one response per learner per round

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:13:23.380216

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('survey_id', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_survey_schedule_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_survey_schedule_resource_link_id_resource_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_survey_schedule_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_schedule')),
    sa.UniqueConstraint('course_id', 'survey_id', 'resource_link_id', name=op.f('uq_survey_schedule_course_id_survey_id_resource_link_id'))
    )
    with op.batch_alter_table('survey_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_schedule_resource_link_id'), ['resource_link_id'], unique=False)
        batch_op.create_index('uq_survey_schedule_course_wide', ['course_id', 'survey_id'], unique=True, sqlite_where=sa.text('resource_link_id IS NULL'), postgresql_where=sa.text('resource_link_id IS NULL'))

    op.create_table('survey_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_survey_window_closes_after_opening')),
    sa.CheckConstraint('position >= 0', name=op.f('ck_survey_window_position_not_negative')),
    sa.ForeignKeyConstraint(['schedule_id'], ['survey_schedule.id'], name=op.f('fk_survey_window_schedule_id_survey_schedule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_window')),
    sa.UniqueConstraint('schedule_id', 'position', name=op.f('uq_survey_window_schedule_id_position'))
    )
    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('survey_id', sa.String(length=100), nullable=False),
    sa.Column('survey_version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('submitted_at IS NULL OR submitted_at >= started_at', name=op.f('ck_survey_response_submitted_after_start')),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_survey_response_resource_link_id_resource_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_survey_response_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['survey_window.id'], name=op.f('fk_survey_response_window_id_survey_window'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sa.UniqueConstraint('window_id', 'user_id', name=op.f('uq_survey_response_window_id_user_id'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_user_id'))

    op.drop_table('survey_response')
    op.drop_table('survey_window')
    with op.batch_alter_table('survey_schedule', schema=None) as batch_op:
        batch_op.drop_index('uq_survey_schedule_course_wide', sqlite_where=sa.text('resource_link_id IS NULL'), postgresql_where=sa.text('resource_link_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_survey_schedule_resource_link_id'))

    op.drop_table('survey_schedule')
