"""Enrolment from uploaded reference photos: saved to scratch space, then the gate's enroll_person."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Sequence

from flask import Flask

from consent_db.audit import Actor
from consent_db.templates import TemplateError
from gatekeeper.faces.detector import DetectorError
from gatekeeper.faces.enrolment import MAX_PHOTOS, EnrolmentRefused, enroll_person
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import PluginError
from gatekeeper.faces.recogniser import RecogniserError
from gatekeeper.app.context import gate_context
from gatekeeper.media import Refused


class ReferencePhotoRefused(Exception):
    """The photos cannot be used for enrolment; the message is one plain sentence. Nothing was stored."""


def enrol_from_uploads(app: Flask, person_id: int, streams: Sequence[IO[bytes]], *, setting_id: int,
                       actor: Actor) -> int:
    """Enrol 1 to MAX_PHOTOS photos for the person, all or nothing; returns how many.
    Raises ReferencePhotoRefused (including when face-matching consent is not in force)."""
    if not 1 <= len(streams) <= MAX_PHOTOS:
        raise ReferencePhotoRefused(f"Choose 1 to {MAX_PHOTOS} photos.")
    ctx = gate_context(app)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        paths = []
        for number, stream in enumerate(streams, start=1):
            path = Path(scratch) / f"photo-{number}"
            with open(path, "wb") as fh:
                while chunk := stream.read(1 << 16):
                    fh.write(chunk)
            paths.append(path)
        try:
            return enroll_person(ctx, person_id, paths, setting_id=setting_id, actor=actor)
        except Refused as exc:
            raise ReferencePhotoRefused(exc.reason) from None
        except (EnrolmentRefused, TemplateError) as exc:
            raise ReferencePhotoRefused(str(exc)) from None
        except (PluginError, ModelError, DetectorError, RecogniserError) as exc:
            raise ReferencePhotoRefused(f"Face matching is not working on this installation ({exc}).") from None
