"""Notifications: the outbox handlers that write and email them, and each account's own list.

A handler stores the messages first (once per account and fact, so a retry writes nothing twice),
then emails those not yet emailed; a mail failure raises, and the outbox retries the row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from consent_db.models import Notification
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.gate.context import GateContext
from gatekeeper.notify import delivery, inbox, messages
from gatekeeper.notify.messages import Draft


def deliver(ctx: GateContext, setting_id: int, build: Callable[[Session], list[Draft]]) -> int:
    """Store what build drafts, then email it; returns how many notifications the fact has.

    Raises MailError when an email was refused (the stored notifications stay, unemailed ones retry).
    """
    at = ctx.clock()
    with ctx.sessions.begin() as session:
        ids = inbox.store(session, setting_id, build(session), at=at)
    delivery.send_now(ctx.sessions, ctx.mailer(), ids, public_url=ctx.public_url, at=at)
    return len(ids)


def on_item_waiting(ctx: GateContext, setting_id: int, payload: dict) -> int:
    return deliver(ctx, setting_id, lambda s: messages.item_waiting(s, setting_id, str(payload["public_id"])))


def on_item_published(ctx: GateContext, setting_id: int, payload: dict) -> int:
    return deliver(ctx, setting_id, lambda s: messages.item_published(s, setting_id, int(payload["publication_id"])))


def on_item_taken_down(ctx: GateContext, setting_id: int, payload: dict) -> int:
    return deliver(ctx, setting_id, lambda s: messages.item_taken_down(s, setting_id, int(payload["publication_id"])))


def on_consent_withdrawn(ctx: GateContext, setting_id: int, payload: dict) -> int:
    key = f"withdrawn:{payload['decision_id']}"
    return deliver(ctx, setting_id, lambda s: messages.consent_withdrawn(
        s, setting_id, int(payload["person_id"]), payload["purpose"], key))


def send_daily_digests(ctx: GateContext) -> delivery.Sent:
    """Email each digest account its day's notifications; failures are logged and tried next time."""
    return delivery.send_digests(ctx.sessions, ctx.mailer(), public_url=ctx.public_url, at=ctx.clock())


@dataclass(frozen=True)
class Inbox:
    notifications: list[Notification]
    unread: int
    daily_digest: bool


def _require(principal: Principal) -> int:
    policy.require(principal, Action.OWN_ACCOUNT)
    if principal.account_id is None:
        raise policy.Forbidden("only a signed-in account has notifications")
    return principal.account_id


def my_inbox(uow: UnitOfWork, principal: Principal, *, limit: int = 50) -> Inbox:
    """The principal's latest notifications (newest first), how many are unread, and the digest choice."""
    account_id = _require(principal)
    with uow:
        rows = inbox.latest(uow.session, account_id, limit=limit)
        for row in rows:
            uow.session.expunge(row)
        return Inbox(rows, inbox.unread_count(uow.session, account_id), inbox.wants_digest(uow.session, account_id))


def unread_count(uow: UnitOfWork, principal: Principal) -> int:
    account_id = _require(principal)
    with uow:
        return inbox.unread_count(uow.session, account_id)


def mark_all_read(uow: UnitOfWork, principal: Principal) -> int:
    account_id = _require(principal)
    with uow:
        return inbox.mark_all_read(uow.session, account_id, at=uow.at)


def choose_digest(uow: UnitOfWork, principal: Principal, daily: bool) -> None:
    """Email each notification at once (False) or once a day (True); Managers only choose a digest."""
    account_id = _require(principal)
    if daily:
        policy.require(principal, Action.QUEUE_DECIDE)
    with uow:
        inbox.preference(uow.session, account_id).daily_digest = bool(daily)
