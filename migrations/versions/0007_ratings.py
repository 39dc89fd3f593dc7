"""checklist ratings: course roles, roster cache, groups, encounters, peers, placement settings, drafts, submissions, audit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:13:46.765586

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=True),
    sa.Column('named_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('coach', 'sp')", name=op.f('ck_course_role_role_known')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_role_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['named_by_id'], ['user_account.id'], name=op.f('fk_course_role_named_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_course_role_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_role')),
    sa.UniqueConstraint('course_id', 'user_id', 'role', name=op.f('uq_course_role_course_id_user_id_role'))
    )
    with op.batch_alter_table('course_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_role_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_role_user_id'), ['user_id'], unique=False)

    op.create_table('course_roster',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('members_url', sa.String(length=2048), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(), nullable=True),
    sa.Column('attempted_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_roster_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', name=op.f('pk_course_roster'))
    )
    op.create_table('encounter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('occurs_on', sa.Date(), nullable=True),
    sa.Column('open_to_all', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_encounter_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounter')),
    sa.UniqueConstraint('course_id', 'name', name=op.f('uq_encounter_course_id_name'))
    )
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounter_course_id'), ['course_id'], unique=False)

    op.create_table('peer_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('rater_id <> subject_id', name=op.f('ck_peer_assignment_not_self')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_peer_assignment_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_id'], ['user_account.id'], name=op.f('fk_peer_assignment_rater_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['user_account.id'], name=op.f('fk_peer_assignment_subject_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_assignment')),
    sa.UniqueConstraint('course_id', 'rater_id', 'subject_id', name=op.f('uq_peer_assignment_course_id_rater_id_subject_id'))
    )
    with op.batch_alter_table('peer_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_assignment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_peer_assignment_rater_id'), ['rater_id'], unique=False)

    op.create_table('roster_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lti_roles', sa.JSON(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role IN ('student', 'staff', 'other')", name=op.f('ck_roster_member_role_known')),
    sa.CheckConstraint("status IN ('Active', 'Inactive', 'Deleted')", name=op.f('ck_roster_member_status_known')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_roster_member_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_roster_member_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_member')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_roster_member_course_id_user_id'))
    )
    with op.batch_alter_table('roster_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_member_user_id'), ['user_id'], unique=False)

    op.create_table('workshop_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_workshop_group_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_group')),
    sa.UniqueConstraint('course_id', 'name', name=op.f('uq_workshop_group_course_id_name'))
    )
    with op.batch_alter_table('workshop_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_group_course_id'), ['course_id'], unique=False)

    op.create_table('checklist_setting',
    sa.Column('resource_link_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('release', sa.String(length=16), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("release IN ('immediate', 'all_raters', 'instructor')", name=op.f('ck_checklist_setting_release_known')),
    sa.CheckConstraint("source IN ('coach', 'sp', 'self', 'peer', 'student', 'coach-self')", name=op.f('ck_checklist_setting_source_known')),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_checklist_setting_resource_link_id_resource_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_checklist_setting_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('resource_link_id', name=op.f('pk_checklist_setting'))
    )
    op.create_table('encounter_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.CheckConstraint("role IN ('sp', 'coach', 'student')", name=op.f('ck_encounter_member_role_known')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_encounter_member_encounter_id_encounter'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_encounter_member_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounter_member')),
    sa.UniqueConstraint('encounter_id', 'user_id', name=op.f('uq_encounter_member_encounter_id_user_id'))
    )
    with op.batch_alter_table('encounter_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounter_member_user_id'), ['user_id'], unique=False)

    op.create_table('group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.CheckConstraint("role IN ('coach', 'student')", name=op.f('ck_group_member_role_known')),
    sa.ForeignKeyConstraint(['group_id'], ['workshop_group.id'], name=op.f('fk_group_member_group_id_workshop_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_group_member_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_member')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_group_member_group_id_user_id'))
    )
    with op.batch_alter_table('group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_member_user_id'), ['user_id'], unique=False)

    op.create_table('rating_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('series', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.String(length=100), nullable=False),
    sa.Column('checklist_version', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('global_rating', sa.Integer(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('launch_ref', sa.String(length=64), nullable=False),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(source IN ('self', 'coach-self')) = (rater_id = subject_id)", name=op.f('ck_rating_submission_self_rates_self')),
    sa.CheckConstraint("source IN ('coach', 'sp', 'self', 'peer', 'student', 'coach-self')", name=op.f('ck_rating_submission_source_known')),
    sa.CheckConstraint('global_rating BETWEEN 1 AND 5', name=op.f('ck_rating_submission_global_on_scale')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_rating_submission_version_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_rating_submission_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_rating_submission_encounter_id_encounter'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rater_id'], ['user_account.id'], name=op.f('fk_rating_submission_rater_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['released_by_id'], ['user_account.id'], name=op.f('fk_rating_submission_released_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_rating_submission_resource_link_id_resource_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['user_account.id'], name=op.f('fk_rating_submission_subject_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_submission')),
    sa.UniqueConstraint('rater_id', 'client_id', name=op.f('uq_rating_submission_rater_id_client_id')),
    sa.UniqueConstraint('series', 'version', name=op.f('uq_rating_submission_series_version'))
    )
    with op.batch_alter_table('rating_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_submission_rater_id'), ['rater_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_submission_resource_link_id'), ['resource_link_id'], unique=False)
        batch_op.create_index('ix_rating_submission_subject', ['course_id', 'subject_id'], unique=False)

    op.create_table('rating_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=100), nullable=False),
    sa.Column('skill_id', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.CheckConstraint('value IS NULL OR value BETWEEN 1 AND 5', name=op.f('ck_rating_answer_value_on_scale')),
    sa.ForeignKeyConstraint(['submission_id'], ['rating_submission.id'], name=op.f('fk_rating_answer_submission_id_rating_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_answer')),
    sa.UniqueConstraint('submission_id', 'item_id', name=op.f('uq_rating_answer_submission_id_item_id'))
    )
    with op.batch_alter_table('rating_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_answer_skill_id'), ['skill_id'], unique=False)

    op.create_table('rating_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['corrects_id'], ['rating_submission.id'], name=op.f('fk_rating_draft_corrects_id_rating_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_rating_draft_encounter_id_encounter'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_id'], ['user_account.id'], name=op.f('fk_rating_draft_rater_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_rating_draft_resource_link_id_resource_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['user_account.id'], name=op.f('fk_rating_draft_subject_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_draft')),
    sa.UniqueConstraint('rater_id', 'client_id', name=op.f('uq_rating_draft_rater_id_client_id'))
    )
    with op.batch_alter_table('rating_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_draft_resource_link_id'), ['resource_link_id'], unique=False)

    op.create_table('rating_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('launch_ref', sa.String(length=64), nullable=True),
    sa.Column('lti_roles', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('submitted', 'corrected', 'released', 'settings_changed')", name=op.f('ck_rating_event_action_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_rating_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_rating_event_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_rating_event_resource_link_id_resource_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['rating_submission.id'], name=op.f('fk_rating_event_submission_id_rating_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_event'))
    )
    with op.batch_alter_table('rating_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_event_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_event_submission_id'), ['submission_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rating_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_event_submission_id'))
        batch_op.drop_index(batch_op.f('ix_rating_event_course_id'))

    op.drop_table('rating_event')
    with op.batch_alter_table('rating_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_draft_resource_link_id'))

    op.drop_table('rating_draft')
    with op.batch_alter_table('rating_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_answer_skill_id'))

    op.drop_table('rating_answer')
    with op.batch_alter_table('rating_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_submission_subject')
        batch_op.drop_index(batch_op.f('ix_rating_submission_resource_link_id'))
        batch_op.drop_index(batch_op.f('ix_rating_submission_rater_id'))

    op.drop_table('rating_submission')
    with op.batch_alter_table('group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_member_user_id'))

    op.drop_table('group_member')
    with op.batch_alter_table('encounter_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encounter_member_user_id'))

    op.drop_table('encounter_member')
    op.drop_table('checklist_setting')
    with op.batch_alter_table('workshop_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_group_course_id'))

    op.drop_table('workshop_group')
    with op.batch_alter_table('roster_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_member_user_id'))

    op.drop_table('roster_member')
    with op.batch_alter_table('peer_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_assignment_rater_id'))
        batch_op.drop_index(batch_op.f('ix_peer_assignment_course_id'))

    op.drop_table('peer_assignment')
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encounter_course_id'))

    op.drop_table('encounter')
    op.drop_table('course_roster')
    with op.batch_alter_table('course_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_role_user_id'))
        batch_op.drop_index(batch_op.f('ix_course_role_course_id'))

    op.drop_table('course_role')
