"""Who may do what: one rule table (action -> roles) and the ownership rules, each stated once.

Ownership: a parent acts only on children linked to their own guardian record, and decides only
where that link carries parental responsibility; staff upload only from a registered tablet and
see only their own uploads. Every route and command is mapped to an action below (a test walks
them), so a new door cannot open without a rule.
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from consent_db.models import Account, GuardianLink, Person, PersonKind
from gatekeeper.app.principal import Principal, Role


class PolicyError(Exception):
    """The principal may not do this; the message is one plain sentence."""


class Forbidden(PolicyError):
    """The role may not take this action at all."""


class NotYourChild(PolicyError):
    """The child is not linked to this guardian (or does not exist): answer as not found."""


class NoParentalResponsibility(PolicyError):
    """The guardian is linked but without parental responsibility, so cannot decide."""


class NoStaffRecord(PolicyError):
    """The account is not linked to a staff member's record, so has no consent of its own to decide."""


class NoRegisteredTablet(PolicyError):
    """Staff act only from a registered setting tablet, never a personal device."""


class Action(StrEnum):
    PUBLIC = "public"  # health probes, sign-in pages, static files, pairing with a one-time code
    OWN_ACCOUNT = "own-account"  # any signed-in account: its own password, two-factor, sign-out
    PEOPLE_READ = "people:read"
    PEOPLE_WRITE = "people:write"
    GUARDIANS_READ = "guardians:read"
    GUARDIANS_WRITE = "guardians:write"
    CHANNELS_READ = "channels:read"
    CHANNELS_WRITE = "channels:write"
    CONSENT_READ = "consent:read"
    CONSENT_RECORD = "consent:record"  # paper forms, staff's own word, a child's objection
    OWN_CONSENT = "consent:own"  # a staff member gives or withdraws their own consent, signed in
    FAMILY_READ = "family:read"
    FAMILY_DECIDE = "family:decide"
    FACES_ENROL = "faces:enrol"
    QUEUE_READ = "queue:read"
    QUEUE_DECIDE = "queue:decide"  # identify, redact, approve, reject, take down
    MEDIA_VIEW = "media:view"
    MEDIA_UPLOAD = "media:upload"
    DEVICES_MANAGE = "devices:manage"
    ACCOUNTS_MANAGE = "accounts:manage"
    AUDIT_READ = "audit:read"
    INSTANCE_ADMIN = "instance:admin"  # init, serve, worker, doctor, key rotation, purge
    MEDIA_TOOLS = "media:tools"  # sanitise or scan a file on the machine itself
    DISPLAY_SHOW = "display:show"  # a paired entrance display showing its channel's slideshow


_ANY = frozenset(Role)
_SIGNED_IN = frozenset({Role.OPERATOR, Role.MANAGER, Role.STAFF, Role.PARENT})
_OFFICE = frozenset({Role.OPERATOR, Role.MANAGER})

RULES: dict[Action, frozenset[Role]] = {
    Action.PUBLIC: _ANY,
    Action.OWN_ACCOUNT: _SIGNED_IN,
    Action.PEOPLE_READ: _OFFICE,
    Action.PEOPLE_WRITE: _OFFICE,
    Action.GUARDIANS_READ: _OFFICE,
    Action.GUARDIANS_WRITE: _OFFICE,
    Action.CHANNELS_READ: _OFFICE,
    Action.CHANNELS_WRITE: _OFFICE,
    Action.CONSENT_READ: _OFFICE,
    Action.CONSENT_RECORD: _OFFICE,
    Action.OWN_CONSENT: frozenset({Role.MANAGER, Role.STAFF}),
    Action.FAMILY_READ: frozenset({Role.PARENT}),
    Action.FAMILY_DECIDE: frozenset({Role.PARENT}),
    Action.FACES_ENROL: _OFFICE,
    Action.QUEUE_READ: _OFFICE | {Role.STAFF},
    Action.QUEUE_DECIDE: _OFFICE,
    Action.MEDIA_VIEW: _OFFICE | {Role.STAFF},
    Action.MEDIA_UPLOAD: _OFFICE | {Role.STAFF},
    Action.DEVICES_MANAGE: frozenset({Role.MANAGER}),
    Action.ACCOUNTS_MANAGE: frozenset({Role.MANAGER}),
    Action.AUDIT_READ: _OFFICE,
    Action.INSTANCE_ADMIN: frozenset({Role.OPERATOR}),
    Action.MEDIA_TOOLS: frozenset({Role.OPERATOR}),
    Action.DISPLAY_SHOW: frozenset({Role.DEVICE}),
}

# Every web endpoint, by Flask endpoint name.
ROUTES: dict[str, Action] = {
    "static": Action.PUBLIC,
    "health.healthz": Action.PUBLIC,
    "health.readyz": Action.PUBLIC,
    "auth.home": Action.PUBLIC,
    "auth.signin": Action.PUBLIC,
    "auth.accept_invitation": Action.PUBLIC,
    "auth.two_factor": Action.PUBLIC,
    "auth.two_factor_setup": Action.PUBLIC,
    "auth.two_factor_renew": Action.OWN_ACCOUNT,
    "password_reset.forgot": Action.PUBLIC,
    "password_reset.choose": Action.PUBLIC,
    "auth.password": Action.OWN_ACCOUNT,
    "auth.signout": Action.OWN_ACCOUNT,
    "device.pair": Action.PUBLIC,
    "device.status": Action.PUBLIC,
    "trust.instructions": Action.PUBLIC,
    "trust.authority_certificate": Action.PUBLIC,
    "trust.apple_profile": Action.PUBLIC,
    "manager_accounts.cancel_invitation": Action.ACCOUNTS_MANAGE,
    "manager_accounts.disable": Action.ACCOUNTS_MANAGE,
    "manager_accounts.enable": Action.ACCOUNTS_MANAGE,
    "manager_accounts.invite": Action.ACCOUNTS_MANAGE,
    "manager_accounts.list_accounts": Action.ACCOUNTS_MANAGE,
    "manager_accounts.reset_password": Action.ACCOUNTS_MANAGE,
    "manager_audit.events": Action.AUDIT_READ,
    "manager_audit.export": Action.AUDIT_READ,
    "manager_audit.verify": Action.AUDIT_READ,
    "manager_channels.add_channel": Action.CHANNELS_WRITE,
    "manager_channels.archive": Action.CHANNELS_WRITE,
    "manager_channels.restore": Action.CHANNELS_WRITE,
    "manager_channels.channels": Action.CHANNELS_READ,
    "manager_channels.edit": Action.CHANNELS_WRITE,
    "manager_channels.channel": Action.CHANNELS_READ,
    "manager_channels.check": Action.CHANNELS_READ,
    "manager_channels.set_target": Action.CHANNELS_WRITE,
    "manager_channels.set_side": Action.CHANNELS_WRITE,
    "display.show": Action.DISPLAY_SHOW,
    "display.slides": Action.DISPLAY_SHOW,
    "display.picture": Action.DISPLAY_SHOW,
    "manager_newsletter.compose": Action.QUEUE_DECIDE,
    "manager_newsletter.newsletters": Action.QUEUE_DECIDE,
    "manager_newsletter.preview": Action.QUEUE_DECIDE,
    "manager_newsletter.send": Action.QUEUE_DECIDE,
    "manager_consent.objection": Action.CONSENT_RECORD,
    "manager_consent.paper_form": Action.CONSENT_RECORD,
    "manager_devices.list_devices": Action.DEVICES_MANAGE,
    "manager_devices.pairing_code": Action.DEVICES_MANAGE,
    "manager_devices.display_code": Action.DEVICES_MANAGE,
    "manager_devices.rename": Action.DEVICES_MANAGE,
    "manager_devices.revoke": Action.DEVICES_MANAGE,
    "manager_enrolment.reference_photo": Action.FACES_ENROL,
    "manager_people.add_guardian": Action.GUARDIANS_WRITE,
    "manager_people.add_person": Action.PEOPLE_WRITE,
    "manager_people.archive": Action.PEOPLE_WRITE,
    "manager_people.archive_guardian": Action.GUARDIANS_WRITE,
    "manager_people.restore_guardian": Action.GUARDIANS_WRITE,
    "manager_people.confirm_import": Action.PEOPLE_WRITE,
    "manager_people.edit": Action.PEOPLE_WRITE,
    "manager_people.edit_guardian": Action.GUARDIANS_WRITE,
    "manager_people.import_csv": Action.PEOPLE_WRITE,
    "manager_people.restore": Action.PEOPLE_WRITE,
    "manager_people.leaving": Action.PEOPLE_WRITE,
    "manager_people.people": Action.PEOPLE_READ,
    "manager_people.person": Action.PEOPLE_READ,
    "manager_queue.approve": Action.QUEUE_DECIDE,
    "manager_queue.audio": Action.QUEUE_DECIDE,
    "manager_queue.caption": Action.QUEUE_DECIDE,
    "manager_queue.identify": Action.QUEUE_DECIDE,
    "manager_queue.item": Action.QUEUE_READ,
    "manager_queue.not_a_person": Action.QUEUE_DECIDE,
    "manager_queue.people_in_picture": Action.QUEUE_DECIDE,
    "manager_queue.queue": Action.QUEUE_READ,
    "manager_queue.redact": Action.QUEUE_DECIDE,
    "manager_queue.reject": Action.QUEUE_DECIDE,
    "manager_queue.retry": Action.QUEUE_DECIDE,
    "manager_queue.take_down": Action.QUEUE_DECIDE,
    "media.item_file": Action.MEDIA_VIEW,
    "media.item_frame": Action.MEDIA_VIEW,
    "media.item_thumbnail": Action.MEDIA_VIEW,
    "parents.child": Action.FAMILY_READ,
    "parents.decide": Action.FAMILY_DECIDE,
    "parents.download": Action.FAMILY_READ,
    "parents.family": Action.FAMILY_READ,
    "parents.gallery_file": Action.FAMILY_READ,
    "parents.withdraw_all": Action.FAMILY_DECIDE,
    "parents.photo": Action.FAMILY_READ,
    "parents.photo_file": Action.FAMILY_READ,
    "notifications.inbox": Action.OWN_ACCOUNT,
    "notifications.email_choice": Action.OWN_ACCOUNT,
    "staff.my_uploads": Action.QUEUE_READ,
    "staff.my_uploads_json": Action.QUEUE_READ,
    "staff.my_consent": Action.OWN_CONSENT,
    "staff.decide_own": Action.OWN_CONSENT,
    "staff.upload": Action.MEDIA_UPLOAD,
    "staff.upload_file": Action.MEDIA_UPLOAD,
    "staff.start_upload": Action.MEDIA_UPLOAD,
    "staff.put_chunk": Action.MEDIA_UPLOAD,
    "staff.upload_progress": Action.MEDIA_UPLOAD,
    "staff.finish_upload": Action.MEDIA_UPLOAD,
    "staff.cancel_upload": Action.MEDIA_UPLOAD,
}

# Every command-line command, by its words after `gatekeeper`. The command line acts as the operator.
COMMANDS: dict[str, Action] = {
    "init": Action.INSTANCE_ADMIN,
    "serve": Action.INSTANCE_ADMIN,
    "doctor": Action.INSTANCE_ADMIN,
    "settings": Action.INSTANCE_ADMIN,
    "certificate show": Action.INSTANCE_ADMIN,
    "certificate renew": Action.INSTANCE_ADMIN,
    "worker": Action.INSTANCE_ADMIN,
    "rotate-key": Action.INSTANCE_ADMIN,
    "backup": Action.INSTANCE_ADMIN,
    "restore": Action.INSTANCE_ADMIN,
    "purge": Action.INSTANCE_ADMIN,
    "scan": Action.MEDIA_TOOLS,
    "check": Action.MEDIA_TOOLS,
    "sanitize": Action.MEDIA_TOOLS,
    "enroll": Action.FACES_ENROL,
    "ingest": Action.MEDIA_UPLOAD,
    "queue list": Action.QUEUE_READ,
    "queue show": Action.QUEUE_READ,
    "identify": Action.QUEUE_DECIDE,
    "not-a-person": Action.QUEUE_DECIDE,
    "redact": Action.QUEUE_DECIDE,
    "approve": Action.QUEUE_DECIDE,
    "reject": Action.QUEUE_DECIDE,
    "takedown": Action.QUEUE_DECIDE,
    "people add": Action.PEOPLE_WRITE,
    "people list": Action.PEOPLE_READ,
    "people import": Action.PEOPLE_WRITE,
    "people edit": Action.PEOPLE_WRITE,
    "people archive": Action.PEOPLE_WRITE,
    "people restore": Action.PEOPLE_WRITE,
    "guardians add": Action.GUARDIANS_WRITE,
    "guardians list": Action.GUARDIANS_READ,
    "guardians edit": Action.GUARDIANS_WRITE,
    "guardians responsibility": Action.GUARDIANS_WRITE,
    "guardians archive": Action.GUARDIANS_WRITE,
    "guardians restore": Action.GUARDIANS_WRITE,
    "channels add": Action.CHANNELS_WRITE,
    "channels list": Action.CHANNELS_READ,
    "channels edit": Action.CHANNELS_WRITE,
    "channels archive": Action.CHANNELS_WRITE,
    "channels restore": Action.CHANNELS_WRITE,
    "channels kinds": Action.CHANNELS_READ,
    "channels set-target": Action.CHANNELS_WRITE,
    "channels set-size": Action.CHANNELS_WRITE,
    "channels check": Action.CHANNELS_READ,
    "channels status": Action.CHANNELS_READ,
    "consent set": Action.CONSENT_RECORD,
    "consent show": Action.CONSENT_READ,
    "audit verify": Action.AUDIT_READ,
    "audit list": Action.AUDIT_READ,
    "accounts reset-password": Action.INSTANCE_ADMIN,
    "accounts reset-two-factor": Action.INSTANCE_ADMIN,
}


def allows(principal: Principal, action: Action) -> bool:
    return principal.role in RULES[action]


def require(principal: Principal, action: Action) -> None:
    """Raise Forbidden unless the principal's role may take the action."""
    if not allows(principal, action):
        raise Forbidden(f"a {principal.role.value} may not do {action.value}")


def on_registered_tablet(principal: Principal) -> bool:
    """The tablet rule: staff act only from a registered setting tablet (the office and the operator anywhere)."""
    return principal.role is not Role.STAFF or principal.device_id is not None


def require_registered_tablet(principal: Principal) -> None:
    """Raise NoRegisteredTablet unless the tablet rule holds."""
    if not on_registered_tablet(principal):
        raise NoRegisteredTablet("Uploads are accepted only from a registered setting tablet.")


def own_child(session: Session, principal: Principal, child_id: int) -> tuple[Person, GuardianLink]:
    """The child, if linked to the parent principal's guardian record; raises NotYourChild."""
    if principal.role is not Role.PARENT:
        raise Forbidden("only a parent or carer has children in their account")
    link = session.get(GuardianLink, (principal.guardian_id, child_id))
    person = session.get(Person, child_id)
    if link is None or person is None or person.kind is not PersonKind.CHILD or person.setting_id != principal.setting_id:
        raise NotYourChild("There is no such child in your account.")
    return person, link


def own_staff_record(session: Session, principal: Principal) -> Person:
    """The staff record the principal's account is linked to: the only person they decide for themselves."""
    require(principal, Action.OWN_CONSENT)
    account = session.get(Account, principal.account_id) if principal.account_id is not None else None
    person = session.get(Person, account.person_id) if account is not None and account.person_id else None
    if person is None or person.kind is not PersonKind.STAFF or person.setting_id != principal.setting_id:
        raise NoStaffRecord("Your account is not linked to a staff record; ask the Manager to link it.")
    return person


def may_decide_for(session: Session, principal: Principal, child_id: int) -> Person:
    """The parental-responsibility rule: a parent decides only for their own child, with PR."""
    require(principal, Action.FAMILY_DECIDE)
    person, link = own_child(session, principal, child_id)
    if not link.parental_responsibility:
        raise NoParentalResponsibility("Only a parent or carer with parental responsibility can change consent.")
    return person
