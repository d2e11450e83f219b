"""`gatekeeper scan`: the faces in files and who they are, against the instance's enrolled people."""
from __future__ import annotations

import dataclasses
import sys

import click

from gatekeeper.cli.common import emit, instance_option, json_option, open_app


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
    from gatekeeper.faces.service import load_gallery_for, scan_files

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
