"""Channels: entrance displays are paired devices bound to a display channel; failed takedowns are noted.

Revision ID: 0010_channels
Revises: 0009_daily
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_channels"
down_revision = "0009_daily"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("devices", "pairing_codes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("display_channel_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f"fk_{table}_display_channel_id_channels"), "channels",
                                     ["display_channel_id"], ["id"], ondelete="RESTRICT")
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("takedown_failed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("takedown_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("takedown_error")
        batch.drop_column("takedown_failed_at")
    for table in ("pairing_codes", "devices"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_display_channel_id_channels"), type_="foreignkey")
            batch.drop_column("display_channel_id")
