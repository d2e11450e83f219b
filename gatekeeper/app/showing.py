"""The gatekeeper's own channels seen from outside: an entrance display's slideshow, a family's gallery.

Who asks is checked first (a paired, unrevoked display; a parent with parental responsibility for
their own child), then the gate decides each item at this moment (gatekeeper.gate.served).
Callers handle PolicyError (NotYourChild: answer as not found) and NotServed (not found).
"""
from __future__ import annotations

from typing import Iterator

from consent_db.models import Channel, Device
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.gate import served
from gatekeeper.gate.access import item_chunks
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.served import NotServed, ServedItem

__all__ = ["NotDisplay", "NotServed", "ServedItem", "display_items", "display_item", "gallery_items",
           "gallery_item", "open_item", "slide_seconds"]


class NotDisplay(policy.PolicyError):
    """The device is not (or no longer) a paired entrance display of this setting."""


def _display_channel(ctx: GateContext, principal: Principal) -> int:
    policy.require(principal, Action.DISPLAY_SHOW)
    with ctx.sessions() as session:
        device = session.get(Device, principal.device_id) if principal.device_id else None
        if (device is None or device.revoked or device.setting_id != principal.setting_id
                or device.display_channel_id is None):
            raise NotDisplay("This screen is not paired as an entrance display.")
        return device.display_channel_id


def slide_seconds(ctx: GateContext, principal: Principal, default: int) -> int:
    """How long this display shows each picture (its channel's seconds_per_picture); raises PolicyError."""
    channel_id = _display_channel(ctx, principal)
    with ctx.sessions() as session:
        channel = session.get(Channel, channel_id)
        value = (channel.target or {}).get("seconds_per_picture")
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def display_items(ctx: GateContext, principal: Principal) -> list[ServedItem]:
    """What this display may show now; raises PolicyError."""
    channel_id = _display_channel(ctx, principal)
    return served.display_items(ctx, channel_id, setting_id=principal.setting_id)


def display_item(ctx: GateContext, principal: Principal, object_name: str) -> ServedItem:
    """One picture for this display, re-checked now; raises PolicyError or NotServed."""
    channel_id = _display_channel(ctx, principal)
    return served.display_item(ctx, channel_id, object_name, setting_id=principal.setting_id)


def _own_child_with_responsibility(ctx: GateContext, principal: Principal, child_id: int) -> None:
    policy.require(principal, Action.FAMILY_READ)
    with ctx.sessions() as session:
        _, link = policy.own_child(session, principal, child_id)
        if not link.parental_responsibility:
            # The gallery shows a child's pictures: only to those who hold parental responsibility.
            raise policy.NoParentalResponsibility("Only a parent or carer with parental responsibility "
                                                  "sees the child's photos.")


def gallery_items(ctx: GateContext, principal: Principal, child_id: int) -> list[ServedItem]:
    """The child's family gallery now; raises PolicyError (NotYourChild, NoParentalResponsibility)."""
    _own_child_with_responsibility(ctx, principal, child_id)
    return served.gallery_items(ctx, child_id, setting_id=principal.setting_id)


def gallery_item(ctx: GateContext, principal: Principal, child_id: int, object_name: str) -> ServedItem:
    """One gallery item, re-checked now; raises PolicyError or NotServed."""
    _own_child_with_responsibility(ctx, principal, child_id)
    return served.gallery_item(ctx, child_id, object_name, setting_id=principal.setting_id)


def open_item(ctx: GateContext, item: ServedItem) -> Iterator[bytes]:
    """The item's bytes as verified chunks (close it when done); raises NotInQuarantine. Decide first."""
    return item_chunks(ctx, item.key, expected=item.size)
