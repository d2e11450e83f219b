"""Staff, parent and Manager accounts: invitations (emailed when SMTP is set up, else shown to hand over;
links only from PUBLIC_URL), cancelling them, resetting a staff member's or parent's password, disabling."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from consent_db import accounts, records
from consent_db.models import Guardian, PersonKind
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.branding import service_title, setting_name
from gatekeeper.web.current import actor
from gatekeeper.web.forms import int_field, sentence
from gatekeeper.web.manager import manager_blueprint, setting_id
from gatekeeper.web.services import account_admin, invitations, mail, recovery
from gatekeeper.web.services.passwords import hasher_for
from gatekeeper.web.services.public_links import NoPublicUrl, public_link

bp = manager_blueprint("manager_accounts", __name__, "/manager/accounts")


def _page(error: str | None = None, status: int = 200, link: str | None = None, sent_to: str | None = None,
          one_time: tuple[str, str] | None = None):
    at = now()
    with transaction() as db:
        rows = account_admin.list_accounts(db, setting_id=setting_id())
        linked_people = {a.person_id for a in rows if a.person_id}
        linked_guardians = {a.guardian_id for a in rows if a.guardian_id}
        staff = [p for p in records.list_people(db, setting_id=setting_id(), kind=PersonKind.STAFF)
                 if p.id not in linked_people]
        guardians = [g for g in db.scalars(select(Guardian).where(Guardian.setting_id == setting_id())
                                           .order_by(Guardian.name)) if g.id not in linked_guardians]
        waiting = invitations.pending(db, setting_id=setting_id(), at=at)
    return render_template("manager/accounts.html", accounts=rows, staff=staff, guardians=guardians,
                           waiting=waiting, error=error, link=link, sent_to=sent_to, one_time=one_time), status


@bp.get("")
def list_accounts():
    return _page()


@bp.post("/invite")
def invite():
    role = request.form.get("role", "")
    if not current_app.config.get("PUBLIC_URL"):
        # Never from the Host header: whoever sends the request chooses it.
        return _page(sentence(NoPublicUrl("Set PUBLIC_URL (the address people reach this service at, e.g. "
                                          "https://photos.example.org) before inviting anyone")), 400)
    try:
        with transaction() as db:
            row, token = invitations.invite(
                db, setting_id=setting_id(), role=role, email=request.form.get("email", ""),
                person_id=int_field("person_id", required=False), guardian_id=int_field("guardian_id", required=False),
                actor=actor(), at=now(), lifetime=timedelta(days=int(current_app.config["INVITATION_DAYS"])),
            )
            email = row.email
    except (invitations.InvitationError, accounts.AccountError, records.RecordsError) as exc:
        return _page(sentence(exc), 400)
    link = public_link("auth.accept_invitation", token=token)
    sender = mail.mailer()
    if sender is not None:
        try:
            name = setting_name()
            sender.send(email, f"Your {service_title(name)} account",
                        f"{name or 'The setting'} invites you to its Photo Gatekeeper, where photos are published "
                        f"only with consent. Set your password here (the link works once):\n\n{link}\n")
        except mail.MailError as exc:
            return _page(sentence(exc), 200, link=link)
        return _page(sent_to=email)
    return _page(link=link)


@bp.post("/<int:account_id>/disable")
def disable(account_id: int):
    try:
        with transaction() as db:
            account = account_admin.disable(db, account_id, setting_id=setting_id(), actor=actor(), at=now())
    except account_admin.AccountAdminError as exc:
        return _page(sentence(exc), 400)
    flash(f"{account.email} can no longer sign in.", "info")
    return redirect(url_for(".list_accounts"))


@bp.post("/invitations/<int:invitation_id>/cancel")
def cancel_invitation(invitation_id: int):
    try:
        with transaction() as db:
            row = invitations.cancel(db, invitation_id, setting_id=setting_id(), actor=actor(), at=now())
            email = row.email
    except invitations.InvitationError as exc:
        return _page(sentence(exc), 400)
    flash(f"The invitation for {email} is cancelled: its link no longer works.", "info")
    return redirect(url_for(".list_accounts"))


@bp.post("/<int:account_id>/reset-password")
def reset_password(account_id: int):
    try:
        with transaction() as db:
            account, password = recovery.manager_resets(db, account_id, setting_id=setting_id(), actor=actor(),
                                                        at=now(), hasher=hasher_for(current_app.config))
            email = account.email
    except recovery.RecoveryError as exc:
        return _page(sentence(exc), 400)
    recovery.notify_changed(mail.mailer(), email, "reset by the Manager", service=service_title(setting_name()))
    # Shown in this response only; they choose their own at the next sign-in.
    return _page(one_time=(email, password))
