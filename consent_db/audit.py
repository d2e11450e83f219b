"""The audit log: typed tags, one writer, and a hash chain that shows edits, deletions and reordering.

Each row's hash covers its own fields (id included) and the previous row's hash, and ids are
assigned gap-free under a lock on the single chain-head row, which also records the last hash
so that rows cut off the end show too. Someone able to rewrite the whole table and the head
consistently defeats any in-database chain; export the head hash elsewhere to guard against that.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Iterable

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from consent_db.models import AuditChainHead, AuditEvent
from consent_db.timeutil import now, utc

GENESIS_HASH = "0" * 64
HEAD_ID = 1
CLI_ACTOR = "operator (cli)"


class AuditTag(StrEnum):
    """What happened. Add members freely: the column is a plain string, no migration needed."""

    SETTING_CREATED = "setting:created"
    SETTING_RENAMED = "setting:renamed"
    CONSENT_GRANTED = "consent:granted"
    CONSENT_REFUSED = "consent:refused"
    CONSENT_WITHDRAWN = "consent:withdrawn"
    CONSENT_CHILD_OBJECTED = "consent:child-objected"
    CONSENT_OBJECTION_LIFTED = "consent:objection-lifted"
    TEMPLATE_ENROLLED = "template:enrolled"
    TEMPLATE_DELETED = "template:deleted"
    PERSON_ADDED = "person:added"
    PERSON_UPDATED = "person:updated"
    PERSON_ARCHIVED = "person:archived"
    PERSON_RESTORED = "person:restored"
    PEOPLE_IMPORTED = "person:imported"
    GUARDIAN_ADDED = "guardian:added"
    GUARDIAN_LINKED = "guardian:linked"
    GUARDIAN_UPDATED = "guardian:updated"
    GUARDIAN_RESPONSIBILITY_CHANGED = "guardian:responsibility-changed"
    GUARDIAN_ARCHIVED = "guardian:archived"
    GUARDIAN_RESTORED = "guardian:restored"
    CHANNEL_ADDED = "channel:added"
    CHANNEL_UPDATED = "channel:updated"
    CHANNEL_ARCHIVED = "channel:archived"
    CHANNEL_RESTORED = "channel:restored"
    ACCOUNT_CREATED = "account:created"
    ACCOUNT_PASSWORD_CHANGED = "account:password-changed"
    ACCOUNT_DISABLED = "account:disabled"
    ACCOUNT_ENABLED = "account:enabled"
    ACCOUNT_EMAIL_CHANGED = "account:email-changed"
    ACCOUNT_INVITED = "account:invited"
    ACCOUNT_TWO_FACTOR_ENROLLED = "account:two-factor-enrolled"
    ACCOUNT_SIGNED_IN = "account:signed-in"
    ACCOUNT_SIGN_IN_FAILED = "account:sign-in-failed"
    ACCOUNT_LOCKED = "account:locked"
    ACCOUNT_TWO_FACTOR_FAILED = "account:two-factor-failed"
    ACCOUNT_TWO_FACTOR_RESET = "account:two-factor-reset"
    ACCOUNT_RECOVERY_CODE_USED = "account:recovery-code-used"
    ACCOUNT_PASSWORD_RESET = "account:password-reset"
    ACCOUNT_PASSWORD_RESET_REQUESTED = "account:password-reset-requested"
    ACCOUNT_INVITATION_CANCELLED = "account:invitation-cancelled"
    DEVICE_PAIRING_CODE_ISSUED = "device:pairing-code-issued"
    DEVICE_PAIRED = "device:paired"
    DEVICE_RENAMED = "device:renamed"
    DEVICE_REVOKED = "device:revoked"
    MEDIA_UPLOADED = "media:uploaded"
    MEDIA_ANALYSED = "media:analysed"
    MEDIA_HELD = "media:held"
    MEDIA_NOT_A_PERSON = "media:not-a-person"
    MEDIA_PEOPLE_LISTED = "media:people-listed"
    MEDIA_CAPTIONED = "media:captioned"
    MEDIA_AUDIO_KEPT = "media:audio-kept"
    MEDIA_PUBLISH_ABANDONED = "media:publish-abandoned"
    MEDIA_IDENTIFIED = "media:identified"
    MEDIA_REDACTED = "media:redacted"
    MEDIA_APPROVED = "media:approved"
    MEDIA_REJECTED = "media:rejected"
    MEDIA_PUBLISHED = "media:published"
    MEDIA_TAKEN_DOWN = "media:taken-down"
    MEDIA_PURGED = "media:purged"
    AUDIT_VERIFIED = "audit:verified"


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in account, or a label such as the command-line operator; and from where."""

    account_id: int | None = None
    label: str | None = None
    device_id: int | None = None

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for record()."""
        return {"actor_account_id": self.account_id, "actor_label": self.label, "device_id": self.device_id}


CLI = Actor(label=CLI_ACTOR)
SYSTEM = Actor(label="system")


class AuditChainError(Exception):
    """The chain head is missing: the database was not migrated."""


@dataclass(frozen=True)
class ChainReport:
    """Whether the chain is intact; when not, the first row found wrong and what is wrong with it."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def canonical_json(value: Any) -> str:
    """One spelling for equal data: sorted keys, no spaces, dates as ISO strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _stamp(moment: datetime) -> str:
    return utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds")


def event_hash(event: AuditEvent) -> str:
    """The hash of an event's fields and the hash it follows."""
    payload = {
        "id": event.id,
        "at": _stamp(event.at),
        "tag": event.tag,
        "setting_id": event.setting_id,
        "actor_account_id": event.actor_account_id,
        "actor_label": event.actor_label,
        "device_id": event.device_id,
        "subject": event.subject,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> AuditChainHead:
    """Hold the chain head until the caller's transaction ends; raises AuditChainError on an unmigrated database.

    Every audited write takes this lock, so a check-then-create step that takes it first (before
    its check) cannot interleave with another one on PostgreSQL.
    """
    # FOR UPDATE serialises writers on PostgreSQL. On SQLite a read starts no transaction (pysqlite
    # begins one at the first write), so a plain read could see a head another writer is replacing:
    # a no-op write first takes SQLite's single write lock, and the read then sees the latest head.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                        .values(last_event_id=AuditChainHead.last_event_id)
                        .execution_options(synchronize_session=False))
    head = session.scalars(
        select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    ).one_or_none()
    if head is None:
        raise AuditChainError("the audit log is not set up: run 'gatekeeper init' to migrate the database")
    return head


def record(
    session: Session,
    tag: AuditTag,
    *,
    actor_account_id: int | None = None,
    actor_label: str | None = None,
    device_id: int | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
    setting_id: int | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; raises AuditChainError on an unmigrated database."""
    tag = AuditTag(tag)
    head = lock_chain(session)
    event = AuditEvent(
        id=head.last_event_id + 1,
        at=utc(at or now()),
        tag=tag.value,
        setting_id=setting_id,
        actor_account_id=actor_account_id,
        actor_label=actor_label,
        device_id=device_id,
        subject=subject,
        details=canonical_json(details or {}),
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    head.last_event_id = event.id
    head.last_hash = event.hash
    session.flush()
    return event


def verify_chain(session: Session, *, batch_size: int = 1000) -> ChainReport:
    """Walk the whole chain in id order and report the first row that breaks it."""
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    rows: Iterable[AuditEvent] = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch_size)
    )
    for event in rows:
        if event.id != expected_id:
            return ChainReport(False, checked, event.id, f"row {expected_id} is missing before row {event.id}")
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.id, f"row {event.id} does not follow the row before it")
        if event_hash(event) != event.hash:
            return ChainReport(False, checked, event.id, f"row {event.id} was altered or moved")
        expected_id, prev_hash, checked = event.id + 1, event.hash, checked + 1
    head = session.get(AuditChainHead, HEAD_ID)
    if head is None:
        return ChainReport(False, checked, None, "the chain head is missing")
    if head.last_event_id != checked or head.last_hash != prev_hash:
        return ChainReport(
            False, checked, head.last_event_id,
            f"the chain should end at row {head.last_event_id} but ends at row {checked}",
        )
    return ChainReport(True, checked)


def check_tail(session: Session) -> ChainReport:
    """A quick check for `doctor`: the head agrees with the last row and that row is intact."""
    head = session.get(AuditChainHead, HEAD_ID)
    if head is None:
        return ChainReport(False, 0, None, "the chain head is missing")
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if last is None:
        ok = head.last_event_id == 0 and head.last_hash == GENESIS_HASH
        return ChainReport(ok, 0, None if ok else head.last_event_id, "" if ok else "the chain's rows are missing")
    if last.id != head.last_event_id or last.hash != head.last_hash or event_hash(last) != last.hash:
        return ChainReport(False, 1, last.id, f"row {last.id} does not match the chain head")
    return ChainReport(True, 1)


def _selection(query, *, tag_prefix: str | None, subject: str | None, of_setting: int | None):
    if of_setting is not None:
        # In the query, not after it: other settings' rows must not push this setting's off the page.
        query = query.where(or_(AuditEvent.setting_id == of_setting, AuditEvent.setting_id.is_(None)))
    if tag_prefix:
        query = query.where(AuditEvent.tag.startswith(tag_prefix, autoescape=True))
    if subject:
        query = query.where(AuditEvent.subject == subject)
    return query


def list_events(
    session: Session,
    *,
    tag_prefix: str | None = None,
    subject: str | None = None,
    of_setting: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """The newest events first (skipping `offset`), optionally only tags starting with tag_prefix, one
    subject, or one setting's events (with those that belong to no setting)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(_selection(query, tag_prefix=tag_prefix, subject=subject, of_setting=of_setting)))


def count_events(session: Session, *, tag_prefix: str | None = None, subject: str | None = None,
                 of_setting: int | None = None) -> int:
    """How many events list_events would page through."""
    query = select(func.count()).select_from(AuditEvent)
    return session.scalar(_selection(query, tag_prefix=tag_prefix, subject=subject, of_setting=of_setting))


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    """An event as plain data for JSON output."""
    return {
        "id": event.id,
        "at": utc(event.at).isoformat(),
        "tag": event.tag,
        "setting_id": event.setting_id,
        "actor_account_id": event.actor_account_id,
        "actor_label": event.actor_label,
        "device_id": event.device_id,
        "subject": event.subject,
        "details": json.loads(event.details),
        "hash": event.hash,
    }
