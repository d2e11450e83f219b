"""The audit log in words a Manager reads: who (by name), about whom or what, and one plain sentence
per kind of event. Names are looked up when the log is read; the log itself keeps only ids, so it
outlives erasure requests."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db.models import Account, Channel, Device, Guardian, MediaItem, Person
from consent_db.timeutil import short_date

KINDS = {"consent": "Consent", "person": "People", "guardian": "Parents and carers", "channel": "Channels",
         "media": "Photos and videos", "template": "Face matching", "account": "Accounts and sign-in",
         "device": "Tablets", "setting": "The setting", "audit": "Audit checks"}
PURPOSE_WORDS = {"face-matching": "face matching"}
FIELD_WORDS = {"first_name": "first name", "surname": "surname", "born": "date of birth", "starts": "start date",
               "leaves": "leaving date", "room": "room", "leaving_date": "leaving date", "name": "name",
               "email": "email", "phone": "phone", "description": "description"}


@dataclass
class Names:
    """Display names for the ids a page of events mentions; anything unknown reads as its kind and id."""

    accounts: dict[int, str] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)
    guardians: dict[int, str] = field(default_factory=dict)
    channels: dict[int | str, str] = field(default_factory=dict)
    devices: dict[int, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)

    def person(self, pid) -> str:
        return self.people.get(_int(pid), f"person {pid}")

    def guardian(self, gid) -> str:
        return self.guardians.get(_int(gid), f"a parent or carer (no. {gid})")

    def channel(self, ref) -> str:
        if ref in PURPOSE_WORDS:
            return PURPOSE_WORDS[ref]
        return self.channels.get(_int(ref) if str(ref).isdigit() else ref, str(ref))

    def item(self, public_id: str) -> str:
        return self.items.get(public_id, "a photo or video")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _subject(event: dict) -> tuple[str, str]:
    kind, _, ref = (event.get("subject") or "").partition(":")
    return kind, ref


def load_names(session: Session, setting_id: int, events: list[dict]) -> Names:
    """Look up every name the events mention, a few queries per page whatever its length."""
    wanted: dict[str, set] = {"account": set(), "person": set(), "guardian": set(), "device": set(), "media": set()}
    for event in events:
        kind, ref = _subject(event)
        if kind in wanted and ref:
            wanted[kind].add(ref if kind == "media" else _int(ref))
        if event.get("actor_account_id"):
            wanted["account"].add(event["actor_account_id"])
        if event.get("device_id"):
            wanted["device"].add(event["device_id"])
        details = event.get("details") or {}
        for key, kind in (("person_id", "person"), ("guardian_id", "guardian")):
            if isinstance(details.get(key), int):
                wanted[kind].add(details[key])
        wanted["person"].update(p for p in details.get("people") or () if isinstance(p, int))
    names = Names()
    accounts = list(session.execute(select(Account.id, Account.email, Account.person_id).where(
        Account.id.in_(wanted["account"]), Account.setting_id == setting_id))) if wanted["account"] else []
    wanted["person"].update(pid for _, _, pid in accounts if pid)
    if wanted["person"]:
        names.people = {p.id: p.full_name for p in session.scalars(select(Person).where(
            Person.id.in_({p for p in wanted["person"] if isinstance(p, int)}), Person.setting_id == setting_id))}
    names.accounts = {aid: names.people.get(pid) or email for aid, email, pid in accounts}
    if wanted["guardian"]:
        names.guardians = dict(session.execute(select(Guardian.id, Guardian.name).where(
            Guardian.id.in_({g for g in wanted["guardian"] if isinstance(g, int)}),
            Guardian.setting_id == setting_id)).all())
    if wanted["device"]:
        names.devices = dict(session.execute(select(Device.id, Device.name).where(
            Device.id.in_(wanted["device"]), Device.setting_id == setting_id)).all())
    for channel in session.scalars(select(Channel).where(Channel.setting_id == setting_id)):
        names.channels[channel.id] = names.channels[channel.slug] = channel.name
    if wanted["media"]:
        names.items = {public_id: f"the {kind.value} received {short_date(at.date())}" for public_id, kind, at in
                       session.execute(select(MediaItem.public_id, MediaItem.kind, MediaItem.received_at).where(
                           MediaItem.public_id.in_(wanted["media"]), MediaItem.setting_id == setting_id))}
    return names


def who(event: dict, names: Names) -> str:
    """Who acted, by name: an account's person or email, the operator, or the system; and on which tablet."""
    account = event.get("actor_account_id")
    if account:
        actor = names.accounts.get(account, f"a former account (no. {account})")
    else:
        actor = {"operator (cli)": "the operator (command line)", "system": "the system"}.get(
            event.get("actor_label") or "", event.get("actor_label") or "the system")
    device = event.get("device_id")
    return actor + (f" on {names.devices.get(device, 'a tablet')}" if device else "")


def about(event: dict, names: Names) -> str:
    """What or whom the event is about, by name."""
    kind, ref = _subject(event)
    if kind == "person":
        return names.person(ref)
    if kind == "guardian":
        return names.guardian(ref)
    if kind == "channel":
        return names.channel(ref)
    if kind == "media":
        return names.item(ref)
    if kind == "account":
        return names.accounts.get(_int(ref), "an account")
    if kind == "device":
        return names.devices.get(_int(ref), "a tablet")
    if kind == "setting":
        return "the setting"
    return event.get("subject") or ""


def _changes(d: dict) -> str:
    parts = []
    for key, value in d.items():
        if key == "source":
            continue
        label = FIELD_WORDS.get(key, key.replace("_", " "))
        if isinstance(value, dict) and "to" in value:
            parts.append(f"{label} from {_value(value.get('from'))} to {_value(value.get('to'))}")
        else:
            parts.append(label)
    return ", ".join(parts) or "nothing"


def _value(value) -> str:
    if value in (None, ""):
        return "blank"
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return text


def _consent(verb: str) -> Callable[[dict, Names, str], str]:
    def say(d: dict, n: Names, subject: str) -> str:
        by = n.guardian(d["guardian_id"]) if d.get("guardian_id") else {"self": "themself", "manager": "the Manager",
                                                                          "child_objection": "staff"}.get(
            d.get("given_by"), "someone")
        # Staff record their own consent through the same portal method, but not in the parent portal.
        portal = " on their own consent page" if d.get("given_by") == "self" else " in the parent portal"
        how = {"paper_form": " on a paper form", "portal": portal}.get(d.get("method"), "")
        return f"Consent for {n.channel(d.get('purpose'))} {verb} for {subject} by {by}{how}."
    return say


Sentence = Callable[[dict, Names, str], str]
SENTENCES: dict[str, Sentence] = {
    "setting:created": lambda d, n, s: f"The setting “{d.get('name', '')}” was created.",
    "setting:renamed": lambda d, n, s: f"The setting was renamed from “{d.get('from', '')}” to “{d.get('to', '')}”.",
    "consent:granted": _consent("was given"),
    "consent:refused": _consent("was refused"),
    "consent:withdrawn": _consent("was withdrawn"),
    "consent:child-objected": lambda d, n, s: f"{s} objected to {n.channel(d.get('purpose'))}; staff recorded it.",
    "consent:objection-lifted": lambda d, n, s: f"{s}'s objection to {n.channel(d.get('purpose'))} was lifted.",
    "template:enrolled": lambda d, n, s: f"A face-matching reference for {s} was enrolled.",
    "template:deleted": lambda d, n, s: f"{d.get('count', 'The')} face-matching template(s) of {s} were deleted.",
    "person:added": lambda d, n, s: f"{s} was added as {d.get('kind', 'a person')} ({d.get('source', 'by hand')}).",
    "person:updated": lambda d, n, s: f"{s}'s details were changed: {_changes(d)}.",
    "person:archived": lambda d, n, s: f"{s} was archived" + (f"; {_changes(d)}." if d else "."),
    "person:restored": lambda d, n, s: f"{s} was restored from the archive.",
    "person:imported": lambda d, n, s: (f"A class list was imported: {d.get('added', d.get('count', 0))} new, "
                                        f"{d.get('changed', 0)} changed."),
    "guardian:added": lambda d, n, s: f"{s} was added as a parent or carer.",
    "guardian:linked": lambda d, n, s: (f"{n.guardian(d.get('guardian_id'))} was linked to {s} "
                                        f"{'with' if d.get('parental_responsibility') else 'without'} parental "
                                        "responsibility."),
    "guardian:updated": lambda d, n, s: f"{s}'s details were changed: {_changes(dict.fromkeys(d.get('changed', [])))}.",
    "guardian:responsibility-changed": lambda d, n, s: (
        f"{n.guardian(d.get('guardian_id'))} {'now holds' if d.get('parental_responsibility') else 'no longer holds'}"
        f" parental responsibility for {s}."),
    "guardian:archived": lambda d, n, s: f"{s} was archived.",
    "guardian:restored": lambda d, n, s: f"{s} was restored from the archive.",
    "channel:added": lambda d, n, s: f"The channel {s} was added.",
    "channel:updated": lambda d, n, s: f"The channel {s} was changed: {_changes(dict.fromkeys(d.get('changed', [])))}.",
    "channel:archived": lambda d, n, s: f"The channel {s} was archived; what was published there is taken down.",
    "channel:restored": lambda d, n, s: f"The channel {s} was restored from the archive.",
    "media:uploaded": lambda d, n, s: f"{s[0].upper() + s[1:]} was uploaded.",
    "media:analysed": lambda d, n, s: f"The faces in {s} were checked: {d.get('faces', 'some')} found.",
    "media:held": lambda d, n, s: (f"{s[0].upper() + s[1:]} is held: "
                                   + ("the faces could not be checked." if d.get("failed") else "it needs a decision.")),
    "media:identified": lambda d, n, s: f"Face {d.get('face')} in {s} was identified as {n.person(d.get('person_id'))}.",
    "media:not-a-person": lambda d, n, s: f"Face {d.get('face')} in {s} was marked as not a person.",
    "media:people-listed": lambda d, n, s: (f"The people in {s} were listed: "
                                            f"{', '.join(n.person(p) for p in d.get('people') or []) or 'nobody'}."),
    "media:captioned": lambda d, n, s: f"The caption of {s} was changed.",
    "media:audio-kept": lambda d, n, s: f"The sound of {s} is {'kept' if d.get('keep', True) else 'removed'}.",
    "media:redacted": lambda d, n, s: f"Face(s) {', '.join(map(str, d.get('faces') or []))} in {s} were covered.",
    "media:approved": lambda d, n, s: f"{s[0].upper() + s[1:]} was approved for {n.channel(d.get('channel'))}.",
    "media:rejected": lambda d, n, s: f"{s[0].upper() + s[1:]} was rejected.",
    "media:published": lambda d, n, s: f"{s[0].upper() + s[1:]} was published on {n.channel(d.get('channel'))}.",
    "media:taken-down": lambda d, n, s: (f"{s[0].upper() + s[1:]} was taken down from {n.channel(d.get('channel'))}"
                                         + (f": {d['reason']}." if d.get("reason") else ".")),
    "media:publish-abandoned": lambda d, n, s: f"Publishing {s} on {n.channel(d.get('channel'))} was abandoned.",
    "media:purged": lambda d, n, s: f"{s[0].upper() + s[1:]} was deleted" + (f": {d['reason']}." if d.get("reason") else "."),
    "account:created": lambda d, n, s: f"The {d.get('role', '')} account {s} was created.",
    "account:email-changed": lambda d, n, s: f"The sign-in email of the {d.get('role', '')} account {s} was changed.",
    "account:password-changed": lambda d, n, s: f"The password of {s} was changed.",
    "account:disabled": lambda d, n, s: f"The account {s} was disabled.",
    "account:enabled": lambda d, n, s: f"The account {s} was enabled again.",
    "account:invited": lambda d, n, s: f"An invitation to a new {d.get('role', '')} account was sent.",
    "account:invitation-cancelled": lambda d, n, s: "An invitation was cancelled.",
    "account:two-factor-enrolled": lambda d, n, s: f"{s} set up two-factor sign-in.",
    "account:two-factor-reset": lambda d, n, s: f"Two-factor sign-in of {s} was reset.",
    "account:two-factor-failed": lambda d, n, s: f"A wrong two-factor code was entered for {s}.",
    "account:recovery-code-used": lambda d, n, s: f"{s} signed in with a recovery code.",
    "account:signed-in": lambda d, n, s: f"{s} signed in.",
    "account:sign-in-failed": lambda d, n, s: "A sign-in failed.",
    "account:locked": lambda d, n, s: "Sign-in was locked after repeated failures.",
    "account:password-reset": lambda d, n, s: f"The password of {s} was reset.",
    "account:password-reset-requested": lambda d, n, s: "A password reset was asked for.",
    "device:pairing-code-issued": lambda d, n, s: "A code to pair a tablet was issued.",
    "device:paired": lambda d, n, s: f"The tablet “{d.get('name', '')}” was paired.",
    "device:renamed": lambda d, n, s: f"A tablet was renamed from “{d.get('from', '')}” to “{d.get('to', '')}”.",
    "device:revoked": lambda d, n, s: f"The tablet “{d.get('name', '')}” was revoked.",
    "audit:verified": lambda d, n, s: ("The audit log was checked: " + (
        f"intact, {d.get('checked')} entries." if d.get("ok") else f"BROKEN ({d.get('problem', '')}).")),
}


def sentence(event: dict, names: Names) -> str:
    """One plain sentence for the event; an unknown kind reads as its tag and subject."""
    subject = about(event, names)
    say = SENTENCES.get(event["tag"])
    if say is None:
        return f"{event['tag']}" + (f" ({subject})" if subject else "")
    try:
        return say(event.get("details") or {}, names, subject or "someone")
    except (KeyError, TypeError, ValueError, IndexError):
        # An old row with other details must not break the page: fall back to the raw tag.
        return f"{event['tag']}" + (f" ({subject})" if subject else "")
