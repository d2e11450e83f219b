"""A setting: one pre-school. Everything else belongs to one; a group shares one deployment."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime


class Setting(Base):
    __tablename__ = "settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The DfE-style default: a child's consent ends on the leaving date unless the setting opts out.
    consent_ends_on_leaving: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true(), default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
