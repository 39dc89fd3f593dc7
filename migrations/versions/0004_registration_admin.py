"""dynamic registration and the admin page: administrators, launch refusals, registrations in progress

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_user")),
        sa.UniqueConstraint("username", name=op.f("uq_admin_user_username")),
    )
    op.create_table(
        "launch_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=True),
        sa.Column("client_id", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_refusal")),
    )
    with op.batch_alter_table("launch_refusal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_launch_refusal_created_at"), ["created_at"], unique=False)

    op.create_table(
        "registration_attempt",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("configuration_url", sa.String(length=2048), nullable=False),
        sa.Column("registration_token", sa.Text(), nullable=True),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("secret_hash", name=op.f("pk_registration_attempt")),
    )
    with op.batch_alter_table("registration_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_attempt_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), server_default="manual", nullable=False))
        batch_op.add_column(sa.Column("product", sa.String(length=255), server_default="", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_registration_origin_known"), "origin IN ('manual', 'dynamic')"
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_registration_origin_known"), type_="check")
        batch_op.drop_column("product")
        batch_op.drop_column("origin")

    with op.batch_alter_table("registration_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_attempt_expires_at"))
    op.drop_table("registration_attempt")
    with op.batch_alter_table("launch_refusal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_launch_refusal_created_at"))
    op.drop_table("launch_refusal")
    op.drop_table("admin_user")
