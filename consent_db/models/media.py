"""Media items on their way through the gate: faces found, Manager's marks, approvals, publications."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consent_db.models.base import Base, UtcDateTime, str_enum


class ItemKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class ItemState(StrEnum):
    """Where an item is in its life; per-channel approval and publication live in their own tables."""

    RECEIVED = "received"
    ANALYSING = "analysing"
    READY = "ready"  # every face cleared for at least one channel
    HELD = "held"  # needs a decision: see the per-face reasons
    REJECTED = "rejected"
    PURGED = "purged"


class PublicationState(StrEnum):
    INTENT = "intent"  # consent checked and recorded; the object may or may not be written yet
    PUBLISHED = "published"
    ABANDONED = "abandoned"  # the intent was never completed; the object was removed if written
    TAKEN_DOWN = "taken_down"


class MediaItem(Base):
    """One upload's sanitised, encrypted copy in quarantine; the original is never stored."""

    __tablename__ = "media_items"
    __table_args__ = (sa.Index("ix_media_items_setting_state", "setting_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    # Random, so the quarantine key and URLs say nothing about order or volume.
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind, "item_kind"))
    mime: Mapped[str] = mapped_column(sa.String(64))
    extension: Mapped[str] = mapped_column(sa.String(8))
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    duration: Mapped[float | None] = mapped_column(sa.Float)
    has_audio: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    keep_audio: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    caption: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[ItemState] = mapped_column(str_enum(ItemState, "item_state"))
    uploaded_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    uploaded_by_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="RESTRICT"))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    analysed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    analysis_failed: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    analysis_error: Mapped[str | None] = mapped_column(sa.Text)
    analysis_engine: Mapped[str | None] = mapped_column(sa.String(100))
    # The Manager's account of a picture whose faces the engine could not check (JSON list of person ids).
    whole_picture_people: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    # Who the uploader says is in it (JSON list of person ids): a hint for the Manager, never an identification.
    suggested_people: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped on every change, so two Managers acting at once cannot both win.
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1", default=1)

    faces: Mapped[list[MediaFace]] = relationship(
        back_populates="item", order_by="MediaFace.index", cascade="all, delete-orphan")
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="item", order_by="Rendition.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class Rendition(Base):
    """The exact bytes an item is published as for one size: what the engine analysed and the Manager saw."""

    __tablename__ = "renditions"
    __table_args__ = (sa.UniqueConstraint("item_id", "profile", name="uq_renditions_item_profile"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("media_items.id", ondelete="CASCADE"))
    # "photo2048", "video1280": the output kind and the longest side it was made for.
    profile: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(8))
    mime: Mapped[str] = mapped_column(sa.String(64))
    extension: Mapped[str] = mapped_column(sa.String(8))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    duration: Mapped[float | None] = mapped_column(sa.Float)
    frames: Mapped[int] = mapped_column(sa.Integer, server_default="1", default=1)
    fps: Mapped[float | None] = mapped_column(sa.Float)
    has_audio: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    notes: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)
    analysis_failed: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    analysis_error: Mapped[str | None] = mapped_column(sa.Text)

    item: Mapped[MediaItem] = relationship(back_populates="renditions")


class MediaFace(Base):
    """A face (or a video track) found in an item: where, the engine's opinion, the Manager's marks."""

    __tablename__ = "media_faces"
    __table_args__ = (sa.UniqueConstraint("item_id", "index", name="uq_media_faces_item_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("media_items.id", ondelete="CASCADE"))
    # The rendition whose pixels the box is in; faces without one predate renditions and clear nothing.
    rendition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("renditions.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(sa.Integer)
    x: Mapped[int] = mapped_column(sa.Integer)
    y: Mapped[int] = mapped_column(sa.Integer)
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    score: Mapped[float] = mapped_column(sa.Float)
    frame_time: Mapped[float | None] = mapped_column(sa.Float)
    track: Mapped[int | None] = mapped_column(sa.Integer)
    times: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    # A video track's box in every frame it was seen ([time, x, y, width, height] lists), for covering it.
    track_boxes: Mapped[list | None] = mapped_column(sa.JSON(none_as_null=True))
    engine_status: Mapped[str] = mapped_column(sa.String(16))
    engine_reason: Mapped[str] = mapped_column(sa.Text)
    engine_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"), index=True)
    distance: Mapped[float | None] = mapped_column(sa.Float)
    margin: Mapped[float | None] = mapped_column(sa.Float)
    manager_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"), index=True)
    not_a_person: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    marked_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    item: Mapped[MediaItem] = relationship(back_populates="faces")


class Approval(Base):
    """The Manager's approval of the exact bytes of an item for one channel."""

    __tablename__ = "approvals"
    __table_args__ = (sa.Index("ix_approvals_item_channel", "item_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("media_items.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="RESTRICT"))
    # The rendition approved, by id and by hash: a re-rendered item needs a new approval.
    rendition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("renditions.id", ondelete="SET NULL"))
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    approved_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
    approved_by_label: Mapped[str | None] = mapped_column(sa.String(100))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Publication(Base):
    """One item on one channel: recorded as an intent before the object is written."""

    __tablename__ = "publications"
    __table_args__ = (
        # At most one live publication per item and channel: a retried publish cannot double it.
        sa.Index("uq_publications_live", "item_id", "channel_id", unique=True,
                 postgresql_where=sa.text("state IN ('intent', 'published')"),
                 sqlite_where=sa.text("state IN ('intent', 'published')")),
        sa.Index("ix_publications_channel_state", "channel_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("media_items.id", ondelete="RESTRICT"))
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="RESTRICT"))
    approval_id: Mapped[int] = mapped_column(sa.ForeignKey("approvals.id", ondelete="RESTRICT"))
    state: Mapped[PublicationState] = mapped_column(str_enum(PublicationState, "publication_state"))
    object_name: Mapped[str] = mapped_column(sa.String(128))
    target: Mapped[dict] = mapped_column(sa.JSON)
    # The ids the channel gave the copy (a WordPress media id, a Facebook photo id), saved as soon as
    # the write returns: some channels cannot find a copy by name, and a takedown needs them.
    remote_ref: Mapped[dict | None] = mapped_column(sa.JSON)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    with_audio: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    intent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The last takedown that failed because the channel could not be reached (retried until it works).
    takedown_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    takedown_error: Mapped[str | None] = mapped_column(sa.Text)
    # Ended while its write may have been in flight: the writer can still land the object and die before
    # it sees the end, so the object is removed again once the write is surely over (then cleared).
    removal_owed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
