"""score delivery outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('score_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('user_sub', sa.String(length=255), nullable=False),
    sa.Column('line_item_key', sa.String(length=64), nullable=False),
    sa.Column('line_item_url', sa.String(length=2048), nullable=True),
    sa.Column('line_items_url', sa.String(length=2048), nullable=True),
    sa.Column('lti_resource_link_id', sa.String(length=255), nullable=True),
    sa.Column('line_item_label', sa.String(length=255), nullable=True),
    sa.Column('line_item_score_maximum', sa.Float(), nullable=True),
    sa.Column('line_item_resource_id', sa.String(length=255), nullable=True),
    sa.Column('line_item_tag', sa.String(length=255), nullable=True),
    sa.Column('score_given', sa.Float(), nullable=True),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('activity_progress', sa.String(length=16), nullable=False),
    sa.Column('grading_progress', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'delivered', 'failed', 'superseded')", name=op.f('ck_score_delivery_state_known')),
    sa.CheckConstraint("activity_progress IN ('Initialized', 'Started', 'InProgress', 'Submitted', 'Completed')", name=op.f('ck_score_delivery_activity_progress_known')),
    sa.CheckConstraint("grading_progress IN ('FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady')", name=op.f('ck_score_delivery_grading_progress_known')),
    sa.CheckConstraint('score_maximum > 0', name=op.f('ck_score_delivery_score_maximum_positive')),
    sa.CheckConstraint('score_given IS NULL OR score_given >= 0', name=op.f('ck_score_delivery_score_given_not_negative')),
    sa.CheckConstraint('line_item_url IS NOT NULL OR line_items_url IS NOT NULL', name=op.f('ck_score_delivery_has_endpoint')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_score_delivery_attempts_not_negative')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_score_delivery_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_link.id'], name=op.f('fk_score_delivery_resource_link_id_resource_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_score_delivery_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_delivery')),
    sa.UniqueConstraint('registration_id', 'line_item_key', 'user_sub', 'timestamp', name='uq_score_delivery_line_item_user_timestamp')
    )
    with op.batch_alter_table('score_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_score_delivery_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_delivery_resource_link_id'), ['resource_link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_delivery_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('score_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_delivery_user_id'))
        batch_op.drop_index(batch_op.f('ix_score_delivery_resource_link_id'))
        batch_op.drop_index('ix_score_delivery_due')

    op.drop_table('score_delivery')
