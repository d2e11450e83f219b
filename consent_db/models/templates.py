"""Enrolled face templates and reference photos, sealed at rest; kept only under face-matching consent."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime


class FaceTemplate(Base):
    __tablename__ = "face_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # AES-GCM sealed (consent_db.sealing), bound to this row and person.
    sealed_template: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sealed_photo: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    enrolled_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="RESTRICT"))
