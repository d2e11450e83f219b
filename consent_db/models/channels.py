"""The setting's official channels: website, social page, newsletter, display screens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (sa.UniqueConstraint("setting_id", "slug", name="uq_channels_setting_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    slug: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    # Shown to parents when they decide; plain English, no jargon.
    description: Mapped[str] = mapped_column(sa.Text)
    # Publishing target config (publisher kind and its options); filled in by the publishers' area.
    target: Mapped[dict | None] = mapped_column(sa.JSON)
    # Longest side of what this channel gets, in pixels; None means the service's default for the kind.
    rendition_side: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Archived records are hidden from default lists and never deleted: history refers to them.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
