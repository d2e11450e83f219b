"""Enrolment for face matching: a reference photo is sanitised, its one clear face turned into a
template, and both stored sealed, only while the person's face-matching consent is in force."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO

from flask import Flask

from consent_db import templates
from consent_db.audit import Actor
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.faces.detector import DetectorError
from gatekeeper.faces.engine import PictureError, load_picture
from gatekeeper.faces.gallery import EnrolmentError, template_from_photo
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import FaceEngine, PluginError, build_engine
from gatekeeper.faces.recogniser import RecogniserError
from gatekeeper.media import Kind, Refused, sanitize_file

EXTENSION = "gatekeeper.web.face_engine"


class ReferencePhotoRefused(Exception):
    """The photo cannot be used for enrolment; the message is one plain sentence. Nothing was stored."""


def engine_for(app: Flask) -> FaceEngine:
    """The app's face engine, built on first use; raises ReferencePhotoRefused when the models are unusable."""
    engine = app.extensions.get(EXTENSION)
    if engine is None:
        try:
            engine = app.extensions[EXTENSION] = build_engine(app.config)
        except (PluginError, ModelError) as exc:
            raise ReferencePhotoRefused(f"Face matching is not available on this installation ({exc}).") from None
    return engine


def enrol_from_upload(app: Flask, person_id: int, stream: IO[bytes], *, actor: Actor) -> int:
    """Enrol one reference photo for the person; returns the template id. Raises ReferencePhotoRefused,
    or consent_db errors (UnknownPerson, NoFaceMatchingConsent)."""
    with tempfile.TemporaryDirectory(prefix="gk-enrol-") as folder:
        source = Path(folder) / "upload"
        with open(source, "wb") as fh:
            while chunk := stream.read(1 << 16):
                fh.write(chunk)
        try:
            clean = sanitize_file(source, Path(folder), stem="clean")
        except Refused as exc:
            raise ReferencePhotoRefused(exc.reason) from None
        if clean.kind is not Kind.PHOTO:
            raise ReferencePhotoRefused("A reference photo must be a photo, not a video.")
        try:
            image = load_picture(clean.path)
            template = template_from_photo(image, engine_for(app))
        except (EnrolmentError, PictureError) as exc:
            raise ReferencePhotoRefused(str(exc)) from None
        except (DetectorError, RecogniserError) as exc:
            raise ReferencePhotoRefused(f"The face engine failed on this photo ({exc}).") from None
        photo = clean.path.read_bytes()
    with transaction(app) as db:
        row = templates.enroll_template(db, app.config["DATA_KEY"], person_id=person_id, template=template,
                                        reference_photo=photo, at=now(), actor_account_id=actor.account_id,
                                        device_id=actor.device_id)
        return row.id
