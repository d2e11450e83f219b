"""Media items, their faces, approvals and publications: the gate's records.

Revision ID: 0002_media
Revises: 0001_initial
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_media"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

LIVE = "state IN ('intent', 'published')"


def _enum_check(table: str, column: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{name}"))


def _fk(column: str, table: str, target: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "media_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("setting_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("mime", sa.String(64), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("has_audio", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("keep_audio", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("uploaded_by_account_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("analysed_at", sa.DateTime(), nullable=True),
        sa.Column("analysis_failed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("analysis_error", sa.Text(), nullable=True),
        sa.Column("analysis_engine", sa.String(100), nullable=True),
        sa.Column("whole_picture_people", sa.JSON(), nullable=True),
        sa.Column("purged_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _enum_check("media_items", "kind", "item_kind", ("photo", "video")),
        _enum_check("media_items", "state", "item_state",
                    ("received", "analysing", "ready", "held", "rejected", "purged")),
        _fk("setting_id", "media_items", "settings"),
        _fk("uploaded_by_account_id", "media_items", "accounts"),
        _fk("uploaded_by_person_id", "media_items", "people"),
        _fk("device_id", "media_items", "devices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_items")),
        sa.UniqueConstraint("public_id", name=op.f("uq_media_items_public_id")),
    )
    op.create_index("ix_media_items_setting_state", "media_items", ["setting_id", "state"])
    op.create_table(
        "media_faces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("frame_time", sa.Float(), nullable=True),
        sa.Column("track", sa.Integer(), nullable=True),
        sa.Column("times", sa.JSON(), nullable=True),
        sa.Column("engine_status", sa.String(16), nullable=False),
        sa.Column("engine_reason", sa.Text(), nullable=False),
        sa.Column("engine_person_id", sa.Integer(), nullable=True),
        sa.Column("distance", sa.Float(), nullable=True),
        sa.Column("margin", sa.Float(), nullable=True),
        sa.Column("manager_person_id", sa.Integer(), nullable=True),
        sa.Column("not_a_person", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("marked_by_account_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(), nullable=True),
        _fk("item_id", "media_faces", "media_items", "CASCADE"),
        _fk("engine_person_id", "media_faces", "people", "SET NULL"),
        _fk("manager_person_id", "media_faces", "people", "SET NULL"),
        _fk("marked_by_account_id", "media_faces", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_faces")),
        sa.UniqueConstraint("item_id", "index", name="uq_media_faces_item_index"),
    )
    op.create_index("ix_media_faces_engine_person_id", "media_faces", ["engine_person_id"])
    op.create_index("ix_media_faces_manager_person_id", "media_faces", ["manager_person_id"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("approved_by_account_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_label", sa.String(100), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        _fk("item_id", "approvals", "media_items", "CASCADE"),
        _fk("channel_id", "approvals", "channels"),
        _fk("approved_by_account_id", "approvals", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    op.create_index("ix_approvals_item_channel", "approvals", ["item_id", "channel_id"])
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("object_name", sa.String(128), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("with_audio", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("intent_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        _enum_check("publications", "state", "publication_state",
                    ("intent", "published", "abandoned", "taken_down")),
        _fk("item_id", "publications", "media_items"),
        _fk("channel_id", "publications", "channels"),
        _fk("approval_id", "publications", "approvals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    op.create_index("uq_publications_live", "publications", ["item_id", "channel_id"], unique=True,
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    op.create_index("ix_publications_channel_state", "publications", ["channel_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_publications_channel_state", table_name="publications")
    op.drop_index("uq_publications_live", table_name="publications")
    op.drop_table("publications")
    op.drop_index("ix_approvals_item_channel", table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_media_faces_manager_person_id", table_name="media_faces")
    op.drop_index("ix_media_faces_engine_person_id", table_name="media_faces")
    op.drop_table("media_faces")
    op.drop_index("ix_media_items_setting_state", table_name="media_items")
    op.drop_table("media_items")
