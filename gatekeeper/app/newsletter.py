"""The newsletter's use cases: see what is approved for an issue, preview it, send it; Managers only.

Callers handle PolicyError, RecordsError (no such channel in the setting), the gate's GateError
family (NotANewsletter, NotCleared, a surname in the text) and PublisherError (the mail server).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consent_db import records
from consent_db.models import Channel
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.gate import newsletter
from gatekeeper.gate.context import GateContext


@dataclass(frozen=True)
class IssueDesk:
    """What the Manager's newsletter page shows for one newsletter channel."""

    channel: Channel
    candidates: list[newsletter.Candidate]
    withdrawn_after_sending: list[tuple[str, datetime, str]]
    recipients: int


def newsletter_channels(ctx: GateContext, principal: Principal) -> list[Channel]:
    """The setting's channels that are newsletters."""
    policy.require(principal, Action.QUEUE_DECIDE)
    with ctx.sessions() as session:
        return [c for c in records.list_channels(session, setting_id=principal.setting_id)
                if (c.target or {}).get("kind") == "newsletter"]


def desk(ctx: GateContext, principal: Principal, channel_id: int) -> IssueDesk:
    policy.require(principal, Action.QUEUE_DECIDE)
    with ctx.sessions() as session:
        channel = records.get_channel(session, channel_id, setting_id=principal.setting_id)
    candidates = newsletter.candidates(ctx, channel.id, setting_id=principal.setting_id)
    withdrawn = newsletter.sent_but_withdrawn(ctx, channel.id, setting_id=principal.setting_id)
    recipients = len(ctx.publisher(ctx.channel_target(channel)).recipients)
    return IssueDesk(channel=channel, candidates=candidates, withdrawn_after_sending=withdrawn, recipients=recipients)


def preview(ctx: GateContext, principal: Principal, channel_id: int, public_ids: list[str], *, subject: str,
            intro: str) -> tuple[newsletter.IssueReport, list[str]]:
    policy.require(principal, Action.QUEUE_DECIDE)
    return newsletter.preview(ctx, channel_id, public_ids, subject=subject, intro=intro,
                              setting_id=principal.setting_id)


def send(ctx: GateContext, principal: Principal, channel_id: int, public_ids: list[str], *, subject: str,
         intro: str) -> newsletter.IssueReport:
    policy.require(principal, Action.QUEUE_DECIDE)
    return newsletter.send_issue(ctx, channel_id, public_ids, subject=subject, intro=intro, actor=principal.actor,
                                 setting_id=principal.setting_id)
