"""Linking a parent or carer to a child from the Manager's pages, without silently joining two families.

An email (compared trimmed and case-folded) that already belongs to a guardian of other children is
most likely a typing slip or a shared address: linking that guardian would give them the new child's
consent decisions. The Manager must confirm, naming that guardian, before it is done.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent_db import records
from consent_db.audit import Actor
from consent_db.models import Guardian, GuardianLink, Person


class NeedsConfirmation(records.RecordsError):
    """The email is another family's guardian's; nothing was changed. Carries who and whose children."""

    def __init__(self, guardian: Guardian, children: list[str]):
        names = ", ".join(children)
        super().__init__(f"{guardian.email} is already the email of {guardian.name}, parent or carer of {names}. "
                         f"Confirm that {guardian.name} is the same person to link them to this child too, "
                         "or use another email address")
        self.guardian_id, self.guardian_name, self.children = guardian.id, guardian.name, children


def fold(email: str) -> str:
    """An email as guardians are compared: trimmed and case-folded."""
    return (email or "").strip().casefold()


def other_family(session: Session, *, setting_id: int, email: str, child_id: int) -> tuple[Guardian, list[str]] | None:
    """The guardian with this email and the names of their other children, if they have any."""
    guardian = session.scalars(select(Guardian).where(Guardian.setting_id == setting_id,
                                                      func.lower(Guardian.email) == fold(email))).first()
    if guardian is None:
        return None
    children = list(session.scalars(
        select(Person.first_name + " " + Person.surname).join(GuardianLink, GuardianLink.child_id == Person.id)
        .where(GuardianLink.guardian_id == guardian.id, Person.id != child_id).order_by(Person.first_name)))
    return (guardian, children) if children else None


def link_guardian(session: Session, *, setting_id: int, name: str, email: str, child_id: int,
                  parental_responsibility: bool, phone: str | None, actor: Actor,
                  confirmed_guardian_id: int | None = None, at: datetime | None = None) -> Guardian:
    """records.add_guardian, refusing with NeedsConfirmation when the email is another family's guardian's
    unless confirmed_guardian_id names that guardian; raises records.RecordsError."""
    found = other_family(session, setting_id=setting_id, email=email, child_id=child_id)
    if found is not None and found[0].id != confirmed_guardian_id:
        raise NeedsConfirmation(*found)
    return records.add_guardian(session, setting_id=setting_id, name=name, email=fold(email), child_id=child_id,
                                parental_responsibility=parental_responsibility, phone=phone, actor=actor, at=at)
