"""Face templates and reference photos: stored sealed, and only while face-matching consent holds.

Template bytes are opaque here (the face engine stores float32 vectors). Each blob is sealed
with a context naming its kind, person and row, so a blob copied onto another row or person
fails to open.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import AuditTag
from consent_db.inforce import consent_in_force
from consent_db.models import FaceTemplate, Person
from consent_db.records import get_person
from consent_db.sealing import SealError, seal, unseal
from consent_db.timeutil import now, utc
from consent_db.verdicts import FACE_MATCHING

log = logging.getLogger(__name__)


class TemplateError(Exception):
    """A template could not be stored or read."""


class NoFaceMatchingConsent(TemplateError):
    """The person has no face-matching consent in force, so nothing biometric may be kept."""


class EmptyTemplate(TemplateError):
    """The template bytes were empty."""


def _context(kind: str, person_id: int, row_id: int) -> bytes:
    return f"{kind}:{person_id}:{row_id}".encode("ascii")


def enroll_template(
    session: Session, data_key: bytes, *, setting_id: int, person_id: int, template: bytes,
    reference_photo: bytes | None,
    at: datetime, actor_account_id: int | None = None, actor_label: str | None = None, device_id: int | None = None,
) -> FaceTemplate:
    """Store one sealed template (and photo); raises UnknownPerson, NoFaceMatchingConsent, EmptyTemplate."""
    person = get_person(session, person_id, setting_id=setting_id)
    if not template:
        raise EmptyTemplate("the face template is empty: nothing was stored")
    verdict = consent_in_force(session, [person_id], FACE_MATCHING, at)[person_id]
    if not verdict.allowed:
        raise NoFaceMatchingConsent(
            f"person {person_id} has no face-matching consent in force ({verdict.detail}): nothing was stored"
        )
    row = FaceTemplate(person_id=person_id, sealed_template=b"", enrolled_at=utc(at),
                       enrolled_by_account_id=actor_account_id)
    session.add(row)
    session.flush()  # the row id is part of the sealing context
    row.sealed_template = seal(data_key, template, _context("template", person_id, row.id))
    if reference_photo:
        row.sealed_photo = seal(data_key, reference_photo, _context("reference-photo", person_id, row.id))
    session.flush()
    audit.record(session, AuditTag.TEMPLATE_ENROLLED, subject=f"person:{person_id}", setting_id=person.setting_id,
                 details={"template_id": row.id, "reference_photo": bool(reference_photo)},
                 actor_account_id=actor_account_id, actor_label=actor_label, device_id=device_id, at=at)
    return row


def load_gallery(session: Session, data_key: bytes, *, setting_id: int, at: datetime) -> list[tuple[int, bytes]]:
    """(person id, template bytes) for everyone in the setting whose face-matching consent holds at `at`.

    A blob that fails to unseal is left out (that face then counts as unknown, which holds media)
    and logged; callers need handle nothing.
    """
    rows = session.execute(
        select(FaceTemplate.id, FaceTemplate.person_id, FaceTemplate.sealed_template)
        .join(Person, Person.id == FaceTemplate.person_id)
        .where(Person.setting_id == setting_id)
        .order_by(FaceTemplate.id)
    ).all()
    verdicts = consent_in_force(session, {pid for _, pid, _ in rows}, FACE_MATCHING, at)
    gallery = []
    for row_id, pid, sealed in rows:
        if not verdicts[pid].allowed:
            continue
        try:
            gallery.append((pid, unseal(data_key, sealed, _context("template", pid, row_id))))
        except SealError:
            log.warning("face template %s of person %s does not unseal; left out of the gallery", row_id, pid)
    return gallery


def reference_photos(session: Session, data_key: bytes, *, person_id: int, at: datetime) -> list[bytes]:
    """The person's reference photos while their face-matching consent holds, else an empty list."""
    if not consent_in_force(session, [person_id], FACE_MATCHING, at)[person_id].allowed:
        return []
    rows = session.execute(
        select(FaceTemplate.id, FaceTemplate.sealed_photo)
        .where(FaceTemplate.person_id == person_id, FaceTemplate.sealed_photo.is_not(None))
        .order_by(FaceTemplate.id)
    )
    photos = []
    for row_id, sealed in rows:
        try:
            photos.append(unseal(data_key, sealed, _context("reference-photo", person_id, row_id)))
        except SealError:
            log.warning("reference photo %s of person %s does not unseal; left out", row_id, person_id)
    return photos


def count_templates(session: Session, person_id: int) -> int:
    """How many templates are stored for the person."""
    return session.scalar(select(func.count()).select_from(FaceTemplate).where(FaceTemplate.person_id == person_id))


def delete_person_templates(
    session: Session, person_id: int, *, reason: str, actor_account_id: int | None = None,
    actor_label: str | None = None, device_id: int | None = None, at: datetime | None = None,
) -> int:
    """Delete every template and reference photo of the person in the caller's transaction; audited."""
    count = count_templates(session, person_id)
    if count == 0:
        return 0
    session.execute(delete(FaceTemplate).where(FaceTemplate.person_id == person_id))
    setting_id = session.scalar(select(Person.setting_id).where(Person.id == person_id))
    audit.record(session, AuditTag.TEMPLATE_DELETED, subject=f"person:{person_id}", setting_id=setting_id,
                 details={"count": count, "reason": reason}, actor_account_id=actor_account_id,
                 actor_label=actor_label, device_id=device_id, at=at)
    return count


def purge_lapsed_templates(session: Session, *, setting_id: int, at: datetime | None = None,
                           person_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Delete templates of the setting's people (these people, when given) whose face-matching consent
    has lapsed (expiry, leaving, withdrawal); safe to run again. Returns {person id: templates deleted}."""
    at = utc(at or now())
    query = (select(FaceTemplate.person_id).join(Person, Person.id == FaceTemplate.person_id)
             .where(Person.setting_id == setting_id).distinct())
    if person_ids is not None:
        query = query.where(Person.id.in_(list(person_ids)))
    holders = session.scalars(query).all()
    verdicts = consent_in_force(session, holders, FACE_MATCHING, at)
    deleted = {}
    for pid, verdict in verdicts.items():
        if not verdict.allowed:
            reason = f"face-matching consent no longer in force: {verdict.reason.value}"
            deleted[pid] = delete_person_templates(session, pid, reason=reason, actor_label="system", at=at)
    return deleted


def reseal_templates(session: Session, old_key: bytes, new_key: bytes) -> tuple[int, int]:
    """Re-seal every template and reference photo under new_key; returns (resealed, already under it).

    Safe to run again after a crash. Raises TemplateError naming a row neither key opens.
    """
    resealed = already = 0
    for row in session.scalars(select(FaceTemplate).order_by(FaceTemplate.id).with_for_update()):
        for kind, attribute in (("template", "sealed_template"), ("reference-photo", "sealed_photo")):
            sealed = getattr(row, attribute)
            if sealed is None:
                continue
            context = _context(kind, row.person_id, row.id)
            try:
                unseal(new_key, sealed, context)
                already += 1
                continue
            except SealError:
                pass
            try:
                plain = unseal(old_key, sealed, context)
            except SealError:
                raise TemplateError(f"face template {row.id} opens under neither key; delete it and enrol again") from None
            setattr(row, attribute, seal(new_key, plain, context))
            resealed += 1
    session.flush()
    return resealed, already
