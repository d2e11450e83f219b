"""`gatekeeper scan`: the faces in files and who they are, against the instance's enrolled people."""
from __future__ import annotations

import dataclasses
import sys

import click

from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app


def _face_line(face: dict) -> str:
    box = face["box"]
    when = f" at {face['frame_time']:.2f}s" if face["frame_time"] is not None else ""
    who = f"person #{face['person_id']}" if face["person_id"] is not None else face["status"]
    return (f"  face {face['index']}{when}: {who} at {box['x']},{box['y']} "
            f"{box['width']}x{box['height']} (score {face['score']:.2f}): {face['reason']}")


def _human(data: dict) -> str:
    lines = []
    if data["gallery_note"]:
        lines.append(f"note: {data['gallery_note']}")
    for item in data["files"]:
        if item["failed"]:
            lines.append(f"{item['file']}: NOT CHECKED, held: {item['error']}")
            continue
        lines.append(f"{item['file']}: {len(item['faces'])} face(s)")
        lines.extend(_face_line(face) for face in item["faces"])
    return "\n".join(lines)


@click.command()
@instance_option
@json_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def scan(instance: str, as_json: bool, files: tuple[str, ...]) -> None:
    """Find the faces in FILES and say who they are; writes nothing. Exits 1 if any file was not checked."""
    from gatekeeper.app.galleries import load_gallery_for
    from gatekeeper.faces.service import scan_files

    app = open_app(instance)
    gallery = load_gallery_for(app)
    results = scan_files(files, app.config, gallery)
    data = {
        "gallery_note": gallery.note,
        "enrolled_people": len(gallery.people),
        "files": [{"file": path, **dataclasses.asdict(analysis)} for path, analysis in results],
    }
    emit(data, as_json, _human)
    if any(analysis.failed for _, analysis in results):
        sys.exit(1)


@click.command()
@instance_option
@click.argument("person_id", metavar="PERSON", type=int)
@click.argument("photos", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@json_option
def enroll(instance: str, person_id: int, photos: tuple[str, ...], as_json: bool) -> None:
    """Enrol PERSON for face matching from 1-5 reference PHOTOS (only with face-matching consent)."""
    from pathlib import Path

    from consent_db.audit import CLI
    from consent_db.templates import TemplateError
    from gatekeeper.faces.enrolment import EnrolmentRefused, enroll_person
    from gatekeeper.faces.models import ModelError
    from gatekeeper.faces.plugins import PluginError
    from gatekeeper.app.context import gate_context
    from gatekeeper.media import Refused

    from gatekeeper.cli.records import resolve_setting

    ctx = gate_context(open_app(instance))
    with ctx.sessions() as session:
        setting_id = resolve_setting(session, None).id
    try:
        stored = enroll_person(ctx, person_id, [Path(p) for p in photos], setting_id=setting_id, actor=CLI)
    except Refused as exc:
        raise CommandError(exc.reason) from None
    except (EnrolmentRefused, TemplateError, PluginError, ModelError) as exc:
        raise CommandError(str(exc)) from None
    emit({"person_id": person_id, "templates_stored": stored}, as_json,
         f"person {person_id} enrolled from {stored} photo(s)")


@click.command()
@instance_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--channel", "channel", required=True, help="Channel slug to decide for.")
@json_option
def check(instance: str, file: str, channel: str, as_json: bool) -> None:
    """The gate's verdict for FILE on a channel now; writes nothing. Exits 3 when held."""
    from pathlib import Path

    from consent_db.records import RecordsError
    from gatekeeper.gate.check import check_file
    from gatekeeper.app.context import gate_context
    from gatekeeper.media import Refused
    from gatekeeper.media.rendition import RenditionError

    ctx = gate_context(open_app(instance))
    try:
        analysis, decision = check_file(ctx, Path(file), channel)
    except Refused as exc:
        raise CommandError(exc.reason) from None
    except RenditionError as exc:
        raise CommandError(f"the file cannot be prepared for publishing: {exc}") from None
    except RecordsError as exc:
        raise CommandError(str(exc)) from None
    data = {"file": file, "channel": channel, "cleared": decision.cleared, "reasons": decision.reasons(),
            "faces": [{"face": f.index + 1, "cleared": f.cleared, "person_id": f.person_id, "reason": f.reason}
                      for f in decision.faces]}
    emit(data, as_json, lambda d: f"{d['file']} on {d['channel']}: "
         + ("CLEARED" if d["cleared"] else "HELD") + "".join(f"\n  - {r}" for r in d["reasons"]))
    if not decision.cleared:
        sys.exit(3)
