"""Operator commands for channels: add one of a kind, list, change its target or picture size, check it.

Target settings are given as `--set NAME=VALUE` (the kind's declared fields); secrets are never printed.
"""
from __future__ import annotations

import click

from gatekeeper.app import channels as channel_service
from gatekeeper.app.context import gate_context
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option
from gatekeeper.cli.records import operator_for, setting_option
from gatekeeper.publishers import KINDS
from consent_db.records import RecordsError
from gatekeeper.publishers.base import InvalidTarget, PublisherError

set_option = click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
                          help="A target setting of the kind (repeatable); see 'channels kinds'.")


def _pairs(settings: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in settings:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--set takes NAME=VALUE, got {name.strip() or pair!r}")
        values[name.strip()] = value
    return values


def _as_data(view: channel_service.ChannelView) -> dict:
    return {"id": view.id, "slug": view.slug, "name": view.name, "description": view.description,
            "kind": view.kind.name if view.kind else None, "target": view.target,
            "rendition_side": view.rendition_side, "where": view.where, "takeback": view.takeback.value,
            "archived": view.archived}


@click.group()
def channels() -> None:
    """The setting's official channels."""


@channels.command("kinds")
@json_option
def channels_kinds(as_json) -> None:
    """The kinds of channel and their target settings."""
    data = [{"kind": k.name, "label": k.label, "where": k.where, "takeback": k.takeback.value,
             "settings": [{"name": f.name, "type": f.type.__name__, "required": f.required, "secret": f.secret}
                          for f in k.fields]} for k in KINDS.values()]
    emit(data, as_json, lambda rows: "\n".join(
        f"{r['kind']}: {r['label']} (taken back: {r['takeback']}); settings: "
        + (", ".join(f"{s['name']}{'*' if s['required'] else ''}" for s in r["settings"]) or "none")
        for r in rows))


@channels.command("add")
@instance_option
@setting_option
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--description", required=True, help="Plain English, shown to parents when they decide.")
@click.option("--kind", default="local", show_default=True, help="One of 'channels kinds'.")
@set_option
@json_option
def channels_add(instance, setting, slug, name, description, kind, settings, as_json) -> None:
    """Add an official channel of a kind (a folder under the channels folder by default)."""
    with operator_for(instance, setting) as op:
        try:
            channel = channel_service.add_channel(op.uow(), op.principal, slug=slug, name=name,
                                                  description=description, kind=kind, values=_pairs(settings))
        except InvalidTarget as exc:
            raise CommandError(str(exc)) from None
        data = _as_data(channel_service.get_view(op.uow(), op.principal, channel.id))
    emit(data, as_json, lambda c: f"added channel {c['id']}: {c['slug']} ({c['name']}, {c['kind']})")


@channels.command("list")
@instance_option
@setting_option
@click.option("--archived", "show", flag_value="archived", help="Only archived channels.")
@click.option("--all", "show", flag_value="all", help="Current and archived channels.")
@json_option
def channels_list(instance, setting, show, as_json) -> None:
    """List the setting's channels (secrets in targets hidden; archived ones only when asked)."""
    archived = {"archived": True, "all": None}.get(show, False)
    with operator_for(instance, setting) as op:
        data = [_as_data(view) for view in channel_service.list_views(op.uow(), op.principal, archived=archived)]
    emit(data, as_json, lambda rows: "\n".join(
        f"{c['id']:>5}  {c['slug']}  {c['name']}  [{c['kind'] or 'unknown kind'}]" + ("  (archived)" if c["archived"]
                                                                                    else "") for c in rows)
        or "no channels yet")


@channels.command("edit")
@instance_option
@setting_option
@click.argument("channel", metavar="CHANNEL")
@click.option("--name")
@click.option("--description")
@json_option
def channels_edit(instance, setting, channel, name, description, as_json) -> None:
    """Change a channel's name or description (its short name and target stay)."""
    with operator_for(instance, setting) as op:
        try:
            found = channel_service.get_view(op.uow(), op.principal, int(channel) if channel.isdigit() else channel)
        except RecordsError as exc:
            raise CommandError(str(exc)) from None
        changed = channel_service.update_channel(op.uow(), op.principal, found.id,
                                                 name=found.name if name is None else name,
                                                 description=found.description if description is None else description)
    emit({"id": found.id, "changed": changed}, as_json,
         lambda d: f"channel {channel}: changed {', '.join(d['changed'])}" if d["changed"]
         else f"channel {channel}: nothing to change")


@channels.command("archive")
@instance_option
@setting_option
@click.argument("channel", metavar="CHANNEL")
@json_option
def channels_archive(instance, setting, channel, as_json) -> None:
    """Archive a channel: nothing more is published there, and what is there is taken down."""
    with operator_for(instance, setting) as op:
        archived = channel_service.archive_channel(op.uow(), op.principal, channel)
        data = {"id": archived.id, "slug": archived.slug}
        report = op.carry_out()
    if report.failed:
        click.echo(f"warning: not every copy could be taken down yet ({report.errors[0]}); the running "
                   "service will retry", err=True)
    data["taken_down"] = report.taken_down
    emit(data, as_json, lambda d: f"archived channel {d['slug']}; {d['taken_down']} published copies taken down")


@channels.command("restore")
@instance_option
@setting_option
@click.argument("channel", metavar="CHANNEL")
@json_option
def channels_restore(instance, setting, channel, as_json) -> None:
    """Open an archived channel again; nothing taken down comes back until approved again."""
    with operator_for(instance, setting) as op:
        restored = channel_service.restore_channel(op.uow(), op.principal, channel)
        data = {"id": restored.id, "slug": restored.slug}
    emit(data, as_json, lambda d: f"restored channel {d['slug']}; approve items for it again to publish there")


@channels.command("set-target")
@instance_option
@setting_option
@click.argument("channel")
@click.option("--kind", required=True, help="One of 'channels kinds'.")
@set_option
@json_option
def channels_set_target(instance, setting, channel, kind, settings, as_json) -> None:
    """Change where CHANNEL's media goes; a secret not given again keeps its stored value."""
    with operator_for(instance, setting) as op:
        try:
            view = channel_service.set_target(op.uow(), op.principal, channel, kind=kind, values=_pairs(settings))
        except InvalidTarget as exc:
            raise CommandError(str(exc)) from None
    emit(_as_data(view), as_json, lambda c: f"channel {c['slug']} now publishes to: {c['kind']} {c['target']}")


@channels.command("set-size")
@instance_option
@setting_option
@click.argument("channel")
@click.argument("pixels", required=False, type=int)
@json_option
def channels_set_size(instance, setting, channel, pixels, as_json) -> None:
    """Set the longest side CHANNEL receives, in PIXELS (none: the standard size)."""
    with operator_for(instance, setting) as op:
        view = channel_service.set_rendition_side(op.uow(), op.principal, channel, pixels)
    emit(_as_data(view), as_json, lambda c: f"channel {c['slug']} receives "
         + (f"{c['rendition_side']} pixels on the longest side" if c["rendition_side"] else "the standard size"))


@channels.command("check")
@instance_option
@setting_option
@click.argument("channel")
@json_option
def channels_check(instance, setting, channel, as_json) -> None:
    """Whether CHANNEL can be published to now; exits 1 with the reason when not."""
    with operator_for(instance, setting) as op:
        try:
            described = channel_service.check_channel(gate_context(op.app), op.principal, channel)
        except PublisherError as exc:
            raise CommandError(f"channel {channel} cannot be published to: {exc}") from None
    emit({"channel": channel, "ok": True, "describe": described}, as_json, lambda d: f"ok: {d['describe']}")


@channels.command("status")
@instance_option
@setting_option
@click.argument("channel")
@json_option
def channels_status(instance, setting, channel, as_json) -> None:
    """What is live on CHANNEL, and the takedowns waiting or failing there."""
    with operator_for(instance, setting) as op:
        state = channel_service.channel_status(gate_context(op.app), op.principal, channel)
    data = {"live": state.live, "pending_takedowns": state.pending_takedowns,
            "failed_takedowns": [{"object": f.object_name, "failed_at": f.failed_at, "error": f.error}
                                 for f in state.failed_takedowns]}
    emit(data, as_json, lambda d: f"{d['live']} live, {d['pending_takedowns']} waiting to be taken down, "
         f"{len(d['failed_takedowns'])} failing" + "".join(
             f"\n  {f['object']}: {f['error']}" for f in d["failed_takedowns"]))
