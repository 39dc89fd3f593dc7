"""learner progress: modules, videos, acknowledgements, quiz attempts; what a placement shows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resource_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("content_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("points", sa.Float(), nullable=True))

    op.create_table(
        "module_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=100), nullable=False),
        sa.Column("current_page", sa.String(length=100), nullable=False),
        sa.Column("pages_seen", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["resource_link_id"], ["resource_link.id"], name=op.f("fk_module_progress_resource_link_id_resource_link"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_module_progress_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_progress")),
        sa.UniqueConstraint("user_id", "resource_link_id", "module_id", name=op.f("uq_module_progress_user_id_resource_link_id_module_id")),
    )
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_module_progress_resource_link_id"), ["resource_link_id"], unique=False)

    op.create_table(
        "video_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.String(length=100), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("played", sa.JSON(), nullable=False),
        sa.Column("played_seconds", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_link_id"], ["resource_link.id"], name=op.f("fk_video_progress_resource_link_id_resource_link"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_video_progress_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_progress")),
        sa.UniqueConstraint("user_id", "resource_link_id", "video_id", name=op.f("uq_video_progress_user_id_resource_link_id_video_id")),
    )
    with op.batch_alter_table("video_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_video_progress_resource_link_id"), ["resource_link_id"], unique=False)

    op.create_table(
        "acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=100), nullable=False),
        sa.Column("page_id", sa.String(length=100), nullable=False),
        sa.Column("statement", sa.String(length=2000), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_link_id"], ["resource_link.id"], name=op.f("fk_acknowledgement_resource_link_id_resource_link"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_acknowledgement_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgement")),
        sa.UniqueConstraint("user_id", "resource_link_id", "module_id", "page_id", name=op.f("uq_acknowledgement_user_id_resource_link_id_module_id_page_id")),
    )

    op.create_table(
        "quiz_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.String(length=100), nullable=False),
        sa.Column("quiz_version", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_quiz_attempt_number_positive")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_quiz_attempt_score_is_a_share")),
        sa.ForeignKeyConstraint(["resource_link_id"], ["resource_link.id"], name=op.f("fk_quiz_attempt_resource_link_id_resource_link"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_quiz_attempt_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempt")),
        sa.UniqueConstraint("user_id", "resource_link_id", "quiz_id", "number", name=op.f("uq_quiz_attempt_user_id_resource_link_id_quiz_id_number")),
    )
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_attempt_resource_link_id"), ["resource_link_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quiz_attempt_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("quiz_attempt")
    op.drop_table("acknowledgement")
    op.drop_table("video_progress")
    op.drop_table("module_progress")
    with op.batch_alter_table("resource_link", schema=None) as batch_op:
        batch_op.drop_column("points")
        batch_op.drop_column("content_id")
        batch_op.drop_column("content_kind")
