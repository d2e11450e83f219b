"""The setting's official channels: adding them, choosing where each one's media goes, checking them.

Targets are built from a channel kind's declared fields (gatekeeper.publishers.KINDS), checked by
building the publisher before anything is stored, and shown back with their secrets hidden.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import or_, select

from consent_db import editing, records
from consent_db.models import Channel, MediaItem, Publication, PublicationState
from gatekeeper.app import policy
from gatekeeper.app.events import ChannelArchived
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.evaluate import decide_item
from gatekeeper.gate.publishing import LIVE
from gatekeeper.publishers import KINDS, ChannelKind, channel_kind, kind_of_target, shown_target
from gatekeeper.publishers.base import InvalidTarget
from gatekeeper.publishers.kinds import Takeback, parse_value

DEFAULT_KIND = "local"


@dataclass(frozen=True)
class ChannelView:
    """A channel as pages and commands show it: its kind's words, and its target with secrets hidden."""

    id: int
    slug: str
    name: str
    description: str
    kind: ChannelKind | None  # None: the target names a kind this version does not know
    target: dict[str, Any]  # secrets hidden; {} for the default folder
    rendition_side: int | None
    archived_at: datetime | None = None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def where(self) -> str:
        return self.kind.where if self.kind else "somewhere this gatekeeper does not recognise"

    @property
    def takeback(self) -> Takeback:
        # An unknown kind is assumed the worst: its copies cannot be taken back.
        return self.kind.takeback if self.kind else Takeback.NEVER


@dataclass(frozen=True)
class FailedTakedown:
    object_name: str
    failed_at: datetime
    error: str


@dataclass(frozen=True)
class ChannelStatus:
    """What the Manager needs to know about a channel now: what is live, which takedowns are failing."""

    live: int
    pending_takedowns: int  # live copies consent no longer allows, not yet taken down
    failed_takedowns: list[FailedTakedown]


def view(channel: Channel) -> ChannelView:
    """A channel's view; never raises for a malformed target (it is shown as unknown)."""
    try:
        kind = kind_of_target(channel.target) if channel.target else KINDS[DEFAULT_KIND]
    except InvalidTarget:
        kind = None
    return ChannelView(channel.id, channel.slug, channel.name, channel.description, kind,
                       shown_target(channel.target), channel.rendition_side, channel.archived_at)


def list_channels(uow: UnitOfWork, principal: Principal, *, archived: bool | None = False) -> list[Channel]:
    """The setting's channels: current ones, archived ones (True) or all (None)."""
    policy.require(principal, Action.CHANNELS_READ)
    with uow:
        return records.list_channels(uow.session, setting_id=principal.setting_id, archived=archived)


def list_views(uow: UnitOfWork, principal: Principal, *, archived: bool | None = False) -> list[ChannelView]:
    """The setting's channels as shown to the Manager: current ones, archived ones (True) or all (None).

    Raises PolicyError."""
    policy.require(principal, Action.CHANNELS_READ)
    with uow:
        return [view(c) for c in records.list_channels(uow.session, setting_id=principal.setting_id,
                                                       archived=archived)]


def get_view(uow: UnitOfWork, principal: Principal, ref: int | str) -> ChannelView:
    """One channel of the setting; raises UnknownChannel or PolicyError."""
    policy.require(principal, Action.CHANNELS_READ)
    with uow:
        return view(records.get_channel(uow.session, ref, setting_id=principal.setting_id))


def build_target(kind_name: str, values: Mapping[str, str], *, keep: Mapping[str, Any] | None = None) -> dict | None:
    """A checked target from text values (a form, `--set name=value`); None for the default folder.

    An empty secret field keeps the value in keep (the current target), so pages never need to show
    a secret to let it stay. Raises InvalidTarget naming the field, never its value.
    """
    kind = channel_kind(kind_name)
    unknown = sorted(name for name in values if kind.field(name) is None)
    if unknown:
        allowed = ", ".join(f.name for f in kind.fields) or "nothing"
        raise InvalidTarget(f"a {kind.name} channel has no setting {', '.join(unknown)}; it takes: {allowed}")
    target: dict[str, Any] = {"kind": kind.name}
    same_kind = keep if keep and keep.get("kind") == kind.name else {}
    for spec in kind.fields:
        text = values.get(spec.name)
        if text is None or not str(text).strip():
            if spec.secret and spec.name in same_kind:
                target[spec.name] = same_kind[spec.name]
            continue
        target[spec.name] = parse_value(spec, str(text))
    if kind.name == DEFAULT_KIND and len(target) == 1:
        return None  # the embedded default: a folder under CHANNELS_DIR named after the slug
    kind.make(target)  # builds the publisher: every check the kind has runs before anything is stored
    return target


def add_channel(uow: UnitOfWork, principal: Principal, *, slug: str, name: str, description: str,
                kind: str = DEFAULT_KIND, values: Mapping[str, str] | None = None) -> Channel:
    """Add a channel of a kind; raises RecordsError (bad or taken slug, empty text), InvalidTarget or PolicyError."""
    policy.require(principal, Action.CHANNELS_WRITE)
    target = build_target(kind, values or {})
    with uow:
        channel = records.add_channel(uow.session, setting_id=principal.setting_id, slug=slug, name=name,
                                      description=description, actor=principal.actor, at=uow.at)
        if target is not None:
            records.set_channel_target(uow.session, channel, target, shown=shown_target(target),
                                       actor=principal.actor, at=uow.at)
        return channel


def set_target(uow: UnitOfWork, principal: Principal, ref: int | str, *, kind: str,
               values: Mapping[str, str]) -> ChannelView:
    """Change where a channel's media goes (empty secret fields keep their value).

    Copies already published stay where they are and are still taken down there: each publication
    keeps the target it was written to. Raises UnknownChannel, InvalidTarget or PolicyError.
    """
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        channel = records.get_channel(uow.session, ref, setting_id=principal.setting_id)
        target = build_target(kind, values, keep=channel.target)
        records.set_channel_target(uow.session, channel, target, shown=shown_target(target),
                                   actor=principal.actor, at=uow.at)
        return view(channel)


def set_rendition_side(uow: UnitOfWork, principal: Principal, ref: int | str, side: int | None) -> ChannelView:
    """Set the longest side this channel receives (None: the default). Items not yet made in that size
    are held for it until they are checked again. Raises UnknownChannel, InvalidRecord or PolicyError."""
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        channel = records.get_channel(uow.session, ref, setting_id=principal.setting_id)
        records.set_rendition_side(uow.session, channel, side, actor=principal.actor, at=uow.at)
        return view(channel)


def check_channel(ctx: GateContext, principal: Principal, ref: int | str) -> str:
    """Ask the channel's publisher whether it can be published to now; returns its description.

    Raises UnknownChannel, PolicyError, or PublisherError with a sentence (no secrets).
    """
    policy.require(principal, Action.CHANNELS_READ)
    with ctx.sessions() as session:
        channel = records.get_channel(session, ref, setting_id=principal.setting_id)
        target = ctx.channel_target(channel)
    publisher = ctx.publisher(target)
    publisher.check()
    return publisher.describe()


def channel_status(ctx: GateContext, principal: Principal, ref: int | str) -> ChannelStatus:
    """How many copies are live on the channel, and the takedowns that failed and are being retried."""
    policy.require(principal, Action.CHANNELS_READ)
    with ctx.sessions() as session:
        channel = records.get_channel(session, ref, setting_id=principal.setting_id)
        live = session.scalars(select(Publication).where(
            Publication.channel_id == channel.id, Publication.state == PublicationState.PUBLISHED)).all()
        at = ctx.clock()
        pending = sum(1 for p in live
                      if not decide_item(session, session.get(MediaItem, p.item_id), channel, at).cleared)
        failing = session.scalars(select(Publication).where(
            Publication.channel_id == channel.id,
            # An ended row still owes a removal when its writer may have landed the copy late.
            or_(Publication.state.in_(LIVE), Publication.removal_owed_at.is_not(None)),
            Publication.takedown_failed_at.is_not(None)).order_by(Publication.takedown_failed_at)).all()
        return ChannelStatus(len(live), pending, [FailedTakedown(p.object_name, p.takedown_failed_at, p.takedown_error or "")
                                              for p in failing])


def parent_lines(uow: UnitOfWork, principal: Principal) -> dict[int, ChannelView]:
    """Each channel's plain-English view for a parent deciding (where it shows, whether it comes back)."""
    policy.require(principal, Action.FAMILY_READ)
    with uow:
        return {c.id: view(c) for c in records.list_channels(uow.session, setting_id=principal.setting_id)}


def cannot_take_back(uow: UnitOfWork, principal: Principal, purpose: int | str) -> ChannelView | None:
    """The channel, when purpose is one of the setting's channels whose copies cannot be taken back, so the
    parent must confirm before granting; None otherwise (face matching, other channels, unknown ids)."""
    policy.require(principal, Action.FAMILY_DECIDE)
    if not isinstance(purpose, int):
        return None
    with uow:
        try:
            channel = records.get_channel(uow.session, purpose, setting_id=principal.setting_id)
        except records.UnknownChannel:
            return None
        shown = view(channel)
    return shown if shown.takeback is Takeback.NEVER else None


def update_channel(uow: UnitOfWork, principal: Principal, ref: int | str, *, name: str,
                   description: str) -> list[str]:
    """Change a channel's name or description; returns the fields changed. Raises RecordsError or PolicyError."""
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        return editing.update_channel(uow.session, ref, setting_id=principal.setting_id, name=name,
                                      description=description, actor=principal.actor, at=uow.at)


def archive_channel(uow: UnitOfWork, principal: Principal, ref: int | str) -> Channel:
    """Archive a channel: nothing more is published there and the worker takes down what is.

    Raises RecordsError (unknown or already archived) or PolicyError.
    """
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        channel = editing.archive_channel(uow.session, ref, setting_id=principal.setting_id,
                                          actor=principal.actor, at=uow.at)
        uow.emit(ChannelArchived(principal.setting_id, channel.id))
    return channel


def restore_channel(uow: UnitOfWork, principal: Principal, ref: int | str) -> Channel:
    """Open an archived channel again; nothing is republished until approved. Raises RecordsError or PolicyError."""
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        return editing.restore_channel(uow.session, ref, setting_id=principal.setting_id,
                                       actor=principal.actor, at=uow.at)
