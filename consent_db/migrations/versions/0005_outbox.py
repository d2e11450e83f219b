"""The outbox: events written in the transaction that caused them, carried out by the worker.

Revision ID: 0005_outbox
Revises: 0003_web_signin (until 0004_renditions lands; then 0004_renditions)
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_outbox"
# TEMPORARY: the lead's 0004_renditions is written in parallel; point this at it once it is merged.
down_revision = "0004_renditions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(128), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["setting_id"], ["settings.id"], name=op.f("fk_outbox_setting_id_settings"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_key"), "outbox", ["key"])
    op.create_index("ix_outbox_pending", "outbox", ["done_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index(op.f("ix_outbox_key"), table_name="outbox")
    op.drop_table("outbox")
