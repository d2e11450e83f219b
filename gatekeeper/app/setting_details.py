"""The setting's own details: its name, its Manager's sign-in email, and the public URL people reach it at."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from consent_db import accounts, records
from consent_db.models import Account, Role, Setting
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork


class SettingError(Exception):
    """A detail cannot be set as given; nothing was changed. The message is one plain sentence."""


@dataclass(frozen=True)
class SettingDetails:
    name: str
    manager_emails: tuple[str, ...]


def check_public_url(url: str) -> str:
    """The URL, trimmed and without a trailing slash; raises SettingError unless it is http(s)://host[:port]."""
    text = (url or "").strip()
    if not text:
        raise SettingError("the public URL must not be empty (e.g. https://gatekeeper.local:8443)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingError(f"{text!r} is not a URL (e.g. https://gatekeeper.local:8443)") from None
    if parts.scheme not in ("http", "https"):
        raise SettingError(f"the public URL must start with https:// (or http://), not {text!r}")
    if not parts.hostname:
        raise SettingError(f"the public URL {text!r} names no host")
    if parts.username is not None or parts.password is not None:
        raise SettingError("the public URL must not hold a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingError(f"the public URL is the address of the service only, with no path: not {text!r}")
    if port == 0:
        raise SettingError(f"the public URL {text!r} has port 0")
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(url: str) -> bool:
    """True when the URL's host is this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url or "").hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _managers(uow: UnitOfWork, setting_id: int) -> tuple[str, ...]:
    query = select(Account.email).where(Account.setting_id == setting_id, Account.role == Role.MANAGER)
    return tuple(uow.session.scalars(query.order_by(Account.id)))


def show(uow: UnitOfWork, principal: Principal) -> SettingDetails:
    policy.require(principal, Action.INSTANCE_ADMIN)
    with uow:
        setting = uow.session.get(Setting, principal.setting_id)
        return SettingDetails(name=setting.name, manager_emails=_managers(uow, principal.setting_id))


def change(uow: UnitOfWork, principal: Principal, *, name: str | None = None, manager_email: str | None = None,
           replacing: str | None = None) -> SettingDetails:
    """Rename the setting and/or change a Manager's email, all or nothing; raises SettingError."""
    policy.require(principal, Action.INSTANCE_ADMIN)
    try:
        with uow:
            if name is not None:
                records.rename_setting(uow.session, principal.setting_id, name, actor=principal.actor, at=uow.at)
            if manager_email is not None:
                accounts.change_manager_email(uow.session, principal.setting_id, manager_email,
                                              replacing=replacing, actor=principal.actor, at=uow.at)
            setting = uow.session.get(Setting, principal.setting_id)
            return SettingDetails(name=setting.name, manager_emails=_managers(uow, principal.setting_id))
    except (records.RecordsError, accounts.AccountError) as exc:
        raise SettingError(str(exc)) from None
