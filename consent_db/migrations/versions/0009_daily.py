"""Notifications (in the pages and by email, at once or as a daily digest), the uploader's
suggestion of who is in an item, and a video track's box in every frame (to cover it).

Revision ID: 0009_daily
Revises: 0008_records
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_daily"
down_revision = "0008_records"
branch_labels = None
depends_on = None


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source_key", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        _fk("setting_id", "notifications", "settings", "CASCADE"),
        _fk("account_id", "notifications", "accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("account_id", "source_key", name="uq_notifications_account_source"),
    )
    op.create_index("ix_notifications_account_read", "notifications", ["account_id", "read_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("daily_digest", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("digest_sent_at", sa.DateTime(), nullable=True),
        _fk("account_id", "notification_preferences", "accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("media_items") as batch:
        batch.add_column(sa.Column("suggested_people", sa.JSON(), nullable=True))
    with op.batch_alter_table("media_faces") as batch:
        batch.add_column(sa.Column("track_boxes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_faces") as batch:
        batch.drop_column("track_boxes")
    with op.batch_alter_table("media_items") as batch:
        batch.drop_column("suggested_people")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_account_read", table_name="notifications")
    op.drop_table("notifications")
