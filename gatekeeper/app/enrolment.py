"""Enrolment from uploaded reference photos: saved to scratch space, then the gate's enroll_person."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Sequence

from consent_db import records
from consent_db.templates import TemplateError
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.faces.detector import DetectorError
from gatekeeper.faces.enrolment import MAX_PHOTOS, EnrolmentRefused, enroll_person
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import PluginError
from gatekeeper.faces.recogniser import RecogniserError
from gatekeeper.gate.context import GateContext
from gatekeeper.media import Refused


class ReferencePhotoRefused(Exception):
    """The photos cannot be used for enrolment; the message is one plain sentence. Nothing was stored."""


def enrol_from_uploads(ctx: GateContext, principal: Principal, person_id: int, streams: Sequence[IO[bytes]]) -> int:
    """Enrol 1 to MAX_PHOTOS photos for a person of the principal's setting, all or nothing; returns how many.

    Raises PolicyError, records.UnknownPerson (another setting's too) and ReferencePhotoRefused
    (including when face-matching consent is not in force).
    """
    policy.require(principal, Action.FACES_ENROL)
    with ctx.sessions() as session:
        records.get_person(session, person_id, setting_id=principal.setting_id)
    if not streams:
        raise ReferencePhotoRefused("Choose a photo to upload.")
    if len(streams) > MAX_PHOTOS:
        raise ReferencePhotoRefused(f"Choose at most {MAX_PHOTOS} photos.")
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        paths = []
        for number, stream in enumerate(streams, start=1):
            path = Path(scratch) / f"photo-{number}"
            with open(path, "wb") as fh:
                while chunk := stream.read(1 << 16):
                    fh.write(chunk)
            paths.append(path)
        try:
            return enroll_person(ctx, person_id, paths, setting_id=principal.setting_id, actor=principal.actor)
        except Refused as exc:
            raise ReferencePhotoRefused(exc.reason) from None
        except (EnrolmentRefused, TemplateError) as exc:
            raise ReferencePhotoRefused(str(exc)) from None
        except (PluginError, ModelError, DetectorError, RecogniserError) as exc:
            raise ReferencePhotoRefused(f"Face matching is not working on this installation ({exc}).") from None
