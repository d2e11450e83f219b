"""The gate on the command line: ingest, the queue, and the Manager's actions, with --json for scripts."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from consent_db import migrate
from consent_db.audit import CLI
from consent_db.models import PersonKind
from consent_db.records import RecordsError, default_setting, get_channel, get_person
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.database import session_factory
from gatekeeper.gate import actions
from gatekeeper.app.context import gate_context
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import GateError
from gatekeeper.gate.ingest import receive_upload
from gatekeeper.gate.queue import item_detail, list_queue
from gatekeeper.gate.redaction import RedactionStyle
from gatekeeper.media import Refused
from gatekeeper.publishers.base import PublisherError
from gatekeeper.storage.base import QuarantineError


def gate_for(instance: str) -> GateContext:
    """The gate of a migrated instance, with jobs run in this process so the command sees their outcome."""
    app = open_app(instance, JOBS_URL="memory://")
    if migrate.current_revision(session_factory(app).kw["bind"]) != migrate.head_revision():
        raise CommandError(f"the database of {instance} is not set up: run 'gatekeeper init --instance {instance}'")
    return gate_context(app)


def run(action):
    """Call a gate action, turning the errors a person can act on into one clear line."""
    try:
        return action()
    except (GateError, RecordsError, PublisherError, QuarantineError) as exc:
        raise CommandError(str(exc)) from None


def channel_ids(ctx: GateContext, slugs) -> list[int]:
    with ctx.sessions() as session:
        setting = default_setting(session)
        return [run(lambda s=slug: get_channel(session, s, setting_id=setting.id)).id for slug in slugs]


def _face(number: int) -> int:
    if number < 1:
        raise CommandError("faces are numbered from 1, as `gatekeeper queue show` lists them")
    return number - 1


@click.command()
@instance_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "staff_id", type=int, required=True, help="The staff member (person id) who took them.")
@json_option
def ingest(instance, files, staff_id, as_json) -> None:
    """Sanitise, analyse and queue FILES; exits 2 when any file was refused (the rest are kept)."""
    ctx = gate_for(instance)
    with ctx.sessions() as session:
        staff = run(lambda: get_person(session, staff_id, setting_id=default_setting(session).id))
        if staff.kind is not PersonKind.STAFF:
            raise CommandError(f"person {staff_id} is not a member of staff")
    results = []
    for name in files:
        try:
            item = receive_upload(ctx, Path(name), uploader=CLI, uploader_person_id=staff_id)
        except Refused as exc:
            results.append({"file": name, "refused": exc.reason})
            continue
        detail = item_detail(ctx, item.public_id)
        results.append({"file": name, "item": item.public_id, "state": detail.state, "faces": len(detail.faces)})
    emit(results, as_json, lambda rows: "\n".join(
        f"{r['file']}: refused: {r['refused']}" if "refused" in r
        else f"{r['file']}: item {r['item']} is {r['state']} ({r['faces']} face(s))" for r in rows))
    if any("refused" in r for r in results):
        sys.exit(2)


@click.group()
def queue() -> None:
    """The publication queue."""


@queue.command("list")
@instance_option
@click.option("--state", type=click.Choice(["received", "analysing", "ready", "held", "rejected", "purged"]))
@click.option("--channel", "channel_slug", help="Only items live on this channel.")
@json_option
def queue_list(instance, state, channel_slug, as_json) -> None:
    """Items newest first."""
    ctx = gate_for(instance)
    channel = channel_ids(ctx, [channel_slug])[0] if channel_slug else None
    rows = [dataclasses.asdict(e) for e in list_queue(ctx, state=state, channel_id=channel)]
    emit(rows, as_json, lambda items: "\n".join(
        f"{r['public_id']}  {r['kind']:5}  {r['state_words']:40}  {r['faces']} face(s)"
        + (f"  published on {', '.join(r['published_on'])}" if r["published_on"] else "") for r in items)
        or "the queue is empty")


def _detail_text(d: dict) -> str:
    lines = [f"item {d['public_id']} ({d['kind']}, {d['width']}x{d['height']}): {d['state_words']}"]
    if d["analysis_failed"]:
        lines.append(f"  faces NOT checked: {d['analysis_error']}")
    for face in d["faces"]:
        x, y, w, h = face["box"]
        when = f" at {face['frame_time']:.2f}s" if face["frame_time"] is not None else ""
        lines.append(f"  face {face['number']}{when}: {face['label']} [{x},{y} {w}x{h}] ({face['engine_reason']})")
    for channel in d["channels"]:
        state = channel["publication"] or ("cleared" if channel["cleared"] else "held")
        lines.append(f"  {channel['slug']}: {state}" + "".join(f"\n    - {r}" for r in channel["reasons"]))
    return "\n".join(lines)


@queue.command("show")
@instance_option
@click.argument("item")
@json_option
def queue_show(instance, item, as_json) -> None:
    """One item: its faces and, per channel, cleared or held and why."""
    ctx = gate_for(instance)
    emit(dataclasses.asdict(run(lambda: item_detail(ctx, item))), as_json, _detail_text)


def _done(ctx, item, as_json, extra=None) -> None:
    data = {**dataclasses.asdict(item_detail(ctx, item)), **(extra or {})}
    emit(data, as_json, _detail_text)


@click.command()
@instance_option
@click.argument("item")
@click.argument("face", type=int)
@click.argument("person", type=int)
@json_option
def identify(instance, item, face, person, as_json) -> None:
    """Say that FACE (numbered from 1) of ITEM is PERSON; that person's consent then decides."""
    ctx = gate_for(instance)
    run(lambda: actions.identify_face(ctx, item, _face(face), person, actor=CLI))
    _done(ctx, item, as_json)


@click.command("not-a-person")
@instance_option
@click.argument("item")
@click.argument("face", type=int)
@json_option
def not_a_person(instance, item, face, as_json) -> None:
    """Mark FACE of ITEM as no real person (a poster, a doll, a photo on the wall)."""
    ctx = gate_for(instance)
    run(lambda: actions.mark_not_a_person(ctx, item, _face(face), actor=CLI))
    _done(ctx, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@click.argument("faces", type=int, nargs=-1, required=True)
@click.option("--pixelate", is_flag=True, help="Coarse pixels instead of a solid fill.")
@json_option
def redact(instance, item, faces, pixelate, as_json) -> None:
    """Cover FACES of a photo for good; the result is analysed again."""
    ctx = gate_for(instance)
    style = RedactionStyle.PIXELATE if pixelate else RedactionStyle.FILL
    try:
        run(lambda: actions.redact_faces(ctx, item, [_face(f) for f in faces], actor=CLI, style=style))
    except Refused as exc:
        raise CommandError(exc.reason) from None
    _done(ctx, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@click.option("--channel", "channels", multiple=True, required=True, help="Channel slug (repeatable).")
@json_option
def approve(instance, item, channels, as_json) -> None:
    """Approve ITEM for channels where it is cleared, and publish it there."""
    ctx = gate_for(instance)
    ids = channel_ids(ctx, channels)
    run(lambda: actions.approve(ctx, item, ids, actor=CLI))
    _done(ctx, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@json_option
def reject(instance, item, as_json) -> None:
    """Reject ITEM: off every channel, and its quarantined copy deleted at once."""
    ctx = gate_for(instance)
    run(lambda: actions.reject(ctx, item, actor=CLI))
    _done(ctx, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@click.option("--channel", "channel_slug", help="Only this channel (default: every channel).")
@json_option
def takedown(instance, item, channel_slug, as_json) -> None:
    """Take ITEM off a channel, or off every channel."""
    ctx = gate_for(instance)
    channel = channel_ids(ctx, [channel_slug])[0] if channel_slug else None
    removed = run(lambda: actions.take_down(ctx, item, channel_id=channel, actor=CLI))
    _done(ctx, item, as_json, {"removed": removed})


@click.command()
@instance_option
@json_option
def purge(instance, as_json) -> None:
    """Apply retention now: rejected items, old unpublished items, old quarantine copies."""
    from gatekeeper.gate.retention import purge as purge_now

    report = run(lambda: purge_now(gate_for(instance)))
    emit(dataclasses.asdict(report), as_json, lambda d: ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in d.items()))
