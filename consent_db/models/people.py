"""Children and staff, their guardians, and who holds parental responsibility for whom."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consent_db.models.base import Base, UtcDateTime, str_enum


class PersonKind(StrEnum):
    CHILD = "child"
    STAFF = "staff"


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (sa.Index("ix_people_setting_kind", "setting_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind"))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    surname: Mapped[str] = mapped_column(sa.String(100))
    date_of_birth: Mapped[date | None] = mapped_column(sa.Date)
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    leaving_date: Mapped[date | None] = mapped_column(sa.Date)
    room: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Archived records are hidden from default lists and never deleted: history refers to them.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    guardian_links: Mapped[list[GuardianLink]] = relationship(back_populates="child")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.surname}"


class Guardian(Base):
    __tablename__ = "guardians"
    __table_args__ = (sa.UniqueConstraint("setting_id", "email", name="uq_guardians_setting_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(320))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Archived records are hidden from default lists and never deleted: history refers to them.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    links: Mapped[list[GuardianLink]] = relationship(back_populates="guardian")


class GuardianLink(Base):
    """A guardian of a child; only links with parental responsibility have a say in consent."""

    __tablename__ = "guardian_links"

    guardian_id: Mapped[int] = mapped_column(sa.ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    parental_responsibility: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true(), default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    guardian: Mapped[Guardian] = relationship(back_populates="links")
    child: Mapped[Person] = relationship(back_populates="guardian_links")
