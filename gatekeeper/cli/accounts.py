"""`gatekeeper accounts`: the operator on the box lets someone back in (lost password, lost phone)."""
from __future__ import annotations

import click

from consent_db import audit, recovery
from consent_db.accounts import end_sessions
from consent_db.timeutil import now
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.database import transaction
from gatekeeper.web.services import two_factor
from gatekeeper.web.services.passwords import hasher_for


@click.group()
def accounts() -> None:
    """Reset an account's password or two-factor sign-in."""


@accounts.command("reset-password")
@instance_option
@click.argument("email")
@json_option
def reset_password(instance: str, email: str, as_json: bool) -> None:
    """Give EMAIL's account a one-time password (printed once; changed at next sign-in)."""
    app = open_app(instance)
    try:
        with transaction(app) as db:
            account = recovery.find_account(db, email)
            password = recovery.one_time_password(db, account, actor=audit.CLI, at=now(),
                                                  hasher=hasher_for(app.config), how="by the operator")
            address = account.email
    except recovery.RecoveryError as exc:
        raise CommandError(str(exc)) from None
    emit({"email": address, "one_time_password": password}, as_json, lambda d: (
        f"{d['email']}: one-time password (shown once, to be changed at the next sign-in): {d['one_time_password']}"))


@accounts.command("reset-two-factor")
@instance_option
@click.argument("email")
@json_option
def reset_two_factor(instance: str, email: str, as_json: bool) -> None:
    """Forget EMAIL's two-factor key and recovery codes: they set it up again at the next sign-in."""
    app = open_app(instance)
    at = now()
    try:
        with transaction(app) as db:
            account = recovery.find_account(db, email)
            two_factor.reset(db, account, actor=audit.CLI, at=at)
            end_sessions(db, at=at, account_id=account.id)
            address = account.email
    except recovery.RecoveryError as exc:
        raise CommandError(str(exc)) from None
    emit({"email": address, "two_factor": "reset"}, as_json, lambda d: (
        f"{d['email']}: two-factor sign-in reset; it is set up again after the next password sign-in"))
