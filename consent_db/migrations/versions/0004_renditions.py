"""Renditions: the exact bytes each item is published as, analysed and approved as such.

Items still waiting for a decision go back to "analysing": their faces were found in the
flattened original, not in what would be published, so none may be approved under that analysis.

Revision ID: 0004_renditions
Revises: 0003_web_signin
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_renditions"
down_revision = "0003_web_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("mime", sa.String(64), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("frames", sa.Integer(), server_default="1", nullable=False),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("has_audio", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=True),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("analysis_failed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("analysis_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["media_items.id"], name=op.f("fk_renditions_item_id_media_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("item_id", "profile", name="uq_renditions_item_profile"),
    )
    with op.batch_alter_table("media_faces") as batch:
        batch.add_column(sa.Column("rendition_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_media_faces_rendition_id_renditions"), "renditions",
                                 ["rendition_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_media_faces_rendition_id", ["rendition_id"])
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("rendition_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_approvals_rendition_id_renditions"), "renditions",
                                 ["rendition_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("rendition_side", sa.Integer(), nullable=True))
    # Re-render and re-analyse everything still awaiting a decision (the sweep queues the jobs).
    op.execute("UPDATE media_items SET state = 'analysing' WHERE state IN ('ready', 'held')")


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("rendition_side")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_constraint(op.f("fk_approvals_rendition_id_renditions"), type_="foreignkey")
        batch.drop_column("rendition_id")
    with op.batch_alter_table("media_faces") as batch:
        batch.drop_index("ix_media_faces_rendition_id")
        batch.drop_constraint(op.f("fk_media_faces_rendition_id_renditions"), type_="foreignkey")
        batch.drop_column("rendition_id")
    op.drop_table("renditions")
