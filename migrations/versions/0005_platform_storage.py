"""login state kept through LTI Platform Storage: the storage frame, and the login to restart

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_target", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("relaunch", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("login_state", schema=None) as batch_op:
        batch_op.drop_column("relaunch")
        batch_op.drop_column("storage_target")
