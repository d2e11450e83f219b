"""Enrolling a person for face matching: 1-5 reference photos, each with one clear face, all or nothing."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

from consent_db.audit import Actor
from consent_db.consent import consent_in_force
from consent_db.templates import NoFaceMatchingConsent, enroll_template
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.faces.engine import load_picture
from gatekeeper.faces.gallery import EnrolmentError, template_from_photo
from gatekeeper.media import sanitize_file

MAX_PHOTOS = 5


class EnrolmentRefused(Exception):
    """No template was stored; the message names the photo and the reason."""


def enroll_person(ctx, person_id: int, photos: Sequence[Path], *, setting_id: int, actor: Actor) -> int:
    """Store one sealed template (and the sanitised reference photo) per photo; returns how many.

    Raises EnrolmentRefused for a bad photo, Refused for a file the sanitiser refuses, and
    consent_db.templates.NoFaceMatchingConsent when face-matching consent is not in force.
    """
    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise EnrolmentRefused(f"enrol with 1 to {MAX_PHOTOS} reference photos, not {len(photos)}")
    # Computing a template is biometric processing: refuse before looking at any photo.
    with ctx.sessions() as session:
        verdict = consent_in_force(session, [person_id], FACE_MATCHING, ctx.clock())[person_id]
    if not verdict.allowed:
        raise NoFaceMatchingConsent(f"person {person_id} has no face-matching consent in force: nothing was stored")
    engine = ctx.engine()
    prepared: list[tuple[bytes, bytes]] = []
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        for number, photo in enumerate(photos, start=1):
            # The reference photo is kept, so it must lose its metadata like any upload.
            clean = sanitize_file(Path(photo), Path(scratch), ctx.limits, stem=f"reference{number}")
            try:
                template = template_from_photo(load_picture(clean.path), engine)
            except EnrolmentError as exc:
                raise EnrolmentRefused(f"{Path(photo).name}: {exc}") from None
            prepared.append((template, clean.path.read_bytes()))
    with ctx.sessions.begin() as session:
        for template, reference in prepared:
            enroll_template(session, ctx.data_key, setting_id=setting_id, person_id=person_id, template=template, reference_photo=reference,
                            at=ctx.clock(), actor_account_id=actor.account_id, actor_label=actor.label,
                            device_id=actor.device_id)
    return len(prepared)
