"""The gate on the command line: ingest, the queue, and the Manager's actions, with --json for scripts."""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from consent_db import migrate
from consent_db.models import PersonKind
from consent_db.records import RecordsError, get_channel, get_person
from consent_db.ukdates import parse_uk_date
from consent_db.timeutil import date_time
from gatekeeper.app import media
from gatekeeper.app.context import gate_context
from gatekeeper.app.policy import PolicyError
from gatekeeper.app.principal import Principal, operator
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.cli.records import resolve_setting
from gatekeeper.database import session_factory
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import GateError
from gatekeeper.gate.queue import MAX_PER_PAGE, VIEWS, QueueQuery
from gatekeeper.gate.redaction import RedactionStyle
from gatekeeper.media import Refused
from gatekeeper.publishers.base import PublisherError
from gatekeeper.storage.base import QuarantineError


@dataclass(frozen=True)
class Gate:
    """The gate of a migrated instance and the operator acting on its setting."""

    ctx: GateContext
    principal: Principal


def gate_for(instance: str) -> Gate:
    """The gate with jobs run in this process, so the command sees their outcome, and the operator principal."""
    app = open_app(instance, JOBS_URL="memory://")
    if migrate.current_revision(session_factory(app).kw["bind"]) != migrate.head_revision():
        raise CommandError(f"the database of {instance} is not set up: run 'gatekeeper init --instance {instance}'")
    ctx = gate_context(app)
    with ctx.sessions() as session:
        setting_id = resolve_setting(session, None).id
    return Gate(ctx, operator(setting_id))


def run(action):
    """Call a gate action, turning the errors a person can act on into one clear line."""
    try:
        return action()
    except (GateError, RecordsError, PublisherError, QuarantineError, PolicyError) as exc:
        raise CommandError(str(exc)) from None


def channel_ids(gate: Gate, slugs) -> list[int]:
    with gate.ctx.sessions() as session:
        return [run(lambda s=slug: get_channel(session, s, setting_id=gate.principal.setting_id)).id for slug in slugs]


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
    gate = gate_for(instance)
    with gate.ctx.sessions() as session:
        staff = run(lambda: get_person(session, staff_id, setting_id=gate.principal.setting_id))
        if staff.kind is not PersonKind.STAFF:
            raise CommandError(f"person {staff_id} is not a member of staff")
    results = []
    for name in files:
        try:
            item = run(lambda n=name: media.upload(gate.ctx, gate.principal, Path(n), uploader_person_id=staff_id))
        except Refused as exc:
            results.append({"file": name, "refused": exc.reason})
            continue
        detail = media.item_detail(gate.ctx, gate.principal, item.public_id)
        results.append({"file": name, "item": item.public_id, "state": detail.state, "faces": len(detail.faces)})
    emit(results, as_json, lambda rows: "\n".join(
        f"{r['file']}: refused: {r['refused']}" if "refused" in r
        else f"{r['file']}: item {r['item']} is {r['state']} ({r['faces']} face(s))" for r in rows))
    if any("refused" in r for r in results):
        sys.exit(2)


@click.group()
def queue() -> None:
    """The publication queue."""


def _uploader(gate: Gate, text: str | None) -> int | None:
    if text is None:
        return None
    found = media.find_account(gate.ctx, gate.principal, text)
    if found is None:
        raise CommandError(f"there is no account {text!r}")
    return found


def _day(text: str | None):
    try:
        return parse_uk_date(text, "--day") if text else None
    except RecordsError as exc:
        raise CommandError(str(exc)) from None


@queue.command("list")
@instance_option
@click.option("--state", type=click.Choice(VIEWS),
              help="held, ready (to approve), published (live somewhere), analysing, rejected or purged.")
@click.option("--channel", "channel_slug", help="Only items live on this channel.")
@click.option("--uploader", help="Only items uploaded by this account (id or email).")
@click.option("--day", help="Only items received on this day (the setting's clock, UK time), e.g. 14/03/2026.")
@click.option("--page", type=click.IntRange(1), help="Show only this page (newest first); default: every item.")
@click.option("--per-page", type=click.IntRange(1, MAX_PER_PAGE), default=50, show_default=True)
@json_option
def queue_list(instance, state, channel_slug, uploader, day, page, per_page, as_json) -> None:
    """Items newest first, every one of them unless --page is given, with the count per state."""
    gate = gate_for(instance)
    query = QueueQuery(view=state, channel_id=channel_ids(gate, [channel_slug])[0] if channel_slug else None,
                       uploader_account_id=_uploader(gate, uploader), day=_day(day), include_purged=state == "purged")
    first = media.queue_page(gate.ctx, gate.principal, query, page=page or 1, per_page=per_page)
    pages = [first]
    while page is None and pages[-1].has_next:
        pages.append(media.queue_page(gate.ctx, gate.principal, query, page=pages[-1].page + 1, per_page=per_page))
    rows = [dataclasses.asdict(e) for result in pages for e in result.entries]
    summary = ("  ".join(f"{view} {count}" for view, count in first.counts.items())
               + (f"\npage {first.page} of {first.pages} ({first.total} items)" if page else f"\n{first.total} items"))
    emit(rows, as_json, lambda items: "\n".join(
        f"{r['public_id']}  {date_time(r['received_at'])}  {r['kind']:5}  {r['state_words']:40}  {r['faces']} face(s)"
        + (f"  published on {', '.join(r['published_on'])}" if r["published_on"] else "") for r in items)
        + ("\n" if items else "the queue is empty\n") + summary)


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
    gate = gate_for(instance)
    emit(dataclasses.asdict(run(lambda: media.item_detail(gate.ctx, gate.principal, item))), as_json, _detail_text)


def _done(gate: Gate, item, as_json, extra=None) -> None:
    data = {**dataclasses.asdict(media.item_detail(gate.ctx, gate.principal, item)), **(extra or {})}
    emit(data, as_json, _detail_text)


@click.command()
@instance_option
@click.argument("item")
@click.argument("face", type=int)
@click.argument("person", type=int)
@json_option
def identify(instance, item, face, person, as_json) -> None:
    """Say that FACE (numbered from 1) of ITEM is PERSON; that person's consent then decides."""
    gate = gate_for(instance)
    run(lambda: media.identify(gate.ctx, gate.principal, item, _face(face), person))
    _done(gate, item, as_json)


@click.command("not-a-person")
@instance_option
@click.argument("item")
@click.argument("face", type=int)
@json_option
def not_a_person(instance, item, face, as_json) -> None:
    """Mark FACE of ITEM as no real person (a poster, a doll, a photo on the wall)."""
    gate = gate_for(instance)
    run(lambda: media.not_a_person(gate.ctx, gate.principal, item, _face(face)))
    _done(gate, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@click.argument("faces", type=int, nargs=-1, required=True)
@click.option("--pixelate", is_flag=True, help="Coarse pixels instead of a solid fill.")
@json_option
def redact(instance, item, faces, pixelate, as_json) -> None:
    """Cover FACES of a photo for good; the result is analysed again."""
    gate = gate_for(instance)
    style = RedactionStyle.PIXELATE if pixelate else RedactionStyle.FILL
    try:
        run(lambda: media.redact(gate.ctx, gate.principal, item, [_face(f) for f in faces], style))
    except Refused as exc:
        raise CommandError(exc.reason) from None
    _done(gate, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@click.option("--channel", "channels", multiple=True, required=True, help="Channel slug (repeatable).")
@json_option
def approve(instance, item, channels, as_json) -> None:
    """Approve ITEM for channels where it is cleared, and publish it there."""
    gate = gate_for(instance)
    ids = channel_ids(gate, channels)
    run(lambda: media.approve(gate.ctx, gate.principal, item, ids))
    _done(gate, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@json_option
def reject(instance, item, as_json) -> None:
    """Reject ITEM: off every channel, and its quarantined copy deleted at once."""
    gate = gate_for(instance)
    run(lambda: media.reject(gate.ctx, gate.principal, item))
    _done(gate, item, as_json)


@click.command()
@instance_option
@click.argument("item")
@click.option("--channel", "channel_slug", help="Only this channel (default: every channel).")
@json_option
def takedown(instance, item, channel_slug, as_json) -> None:
    """Take ITEM off a channel, or off every channel."""
    gate = gate_for(instance)
    channel = channel_ids(gate, [channel_slug])[0] if channel_slug else None
    removed = run(lambda: media.take_down(gate.ctx, gate.principal, item, channel_id=channel))
    _done(gate, item, as_json, {"removed": removed})


@click.command()
@instance_option
@json_option
def purge(instance, as_json) -> None:
    """Apply retention now: rejected items, old unpublished items, old quarantine copies."""
    from gatekeeper.gate.retention import purge as purge_now

    report = run(lambda: purge_now(gate_for(instance).ctx))
    emit(dataclasses.asdict(report), as_json, lambda d: ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in d.items()))
