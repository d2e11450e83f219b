"""Staff, parent and Manager accounts: invitations (emailed when SMTP is set up, else shown to hand over;
links only from PUBLIC_URL), cancelling them, resetting a staff member's or parent's password, disabling."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for

from consent_db import account_admin, accounts, invitations, records, recovery
from gatekeeper.app import accounts as account_service
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.branding import service_title, setting_name
from gatekeeper.web.current import principal
from gatekeeper.web.forms import int_field, sentence
from gatekeeper.web.manager import manager_blueprint
from gatekeeper.web.services import mail
from gatekeeper.web.services import recovery as notices
from gatekeeper.web.services.passwords import hasher_for
from gatekeeper.web.services.public_links import NoPublicUrl, public_link
from gatekeeper.web.trust import trust_details

bp = manager_blueprint("manager_accounts", __name__, "/manager/accounts")


def _uow():
    return unit_of_work(current_app._get_current_object())


def _page(error: str | None = None, status: int = 200, link: str | None = None, sent_to: str | None = None,
          one_time: tuple[str, str] | None = None):
    seen = account_service.overview(_uow(), principal())
    return render_template("manager/accounts.html", accounts=seen.accounts, staff=seen.staff_without_account,
                           guardians=seen.guardians_without_account, waiting=seen.waiting, error=error, link=link,
                           sent_to=sent_to, one_time=one_time, trust=trust_details() if link or sent_to else None), status


@bp.get("")
def list_accounts():
    return _page()


@bp.post("/invite")
def invite():
    if not current_app.config.get("PUBLIC_URL"):
        # Never from the Host header: whoever sends the request chooses it.
        return _page(sentence(NoPublicUrl("Set PUBLIC_URL (the address people reach this service at, e.g. "
                                          "https://photos.example.org) before inviting anyone")), 400)
    try:
        invited = account_service.invite(
            _uow(), principal(), role=request.form.get("role", ""), email=request.form.get("email", ""),
            person_id=int_field("person_id", required=False), guardian_id=int_field("guardian_id", required=False),
            lifetime=timedelta(days=int(current_app.config["INVITATION_DAYS"])))
    except (invitations.InvitationError, accounts.AccountError, records.RecordsError) as exc:
        return _page(sentence(exc), 400)
    link = public_link("auth.accept_invitation", token=invited.token)
    sender = mail.mailer()
    if sender is not None:
        try:
            name = setting_name()
            sender.send(invited.email, f"Your {service_title(name)} account",
                        f"{name or 'The setting'} invites you to its Photo Gatekeeper, where photos are published "
                        f"only with consent. Set your password here (the link works once):\n\n{link}\n")
        except mail.MailError as exc:
            return _page(f"{sentence(exc)} Hand the link over instead.", 200, link=link)
        return _page(sent_to=invited.email)
    return _page(link=link)


@bp.post("/<int:account_id>/disable")
def disable(account_id: int):
    try:
        email = account_service.disable(_uow(), principal(), account_id)
    except account_admin.AccountAdminError as exc:
        return _page(sentence(exc), 400)
    flash(f"{email} can no longer sign in.", "info")
    return redirect(url_for(".list_accounts"))


@bp.post("/<int:account_id>/enable")
def enable(account_id: int):
    try:
        email = account_service.enable(_uow(), principal(), account_id)
    except account_admin.AccountAdminError as exc:
        return _page(sentence(exc), 400)
    flash(f"{email} can sign in again with their own password.", "info")
    return redirect(url_for(".list_accounts"))


@bp.post("/invitations/<int:invitation_id>/cancel")
def cancel_invitation(invitation_id: int):
    try:
        email = account_service.cancel_invitation(_uow(), principal(), invitation_id)
    except invitations.InvitationError as exc:
        return _page(sentence(exc), 400)
    flash(f"The invitation for {email} is cancelled: its link no longer works.", "info")
    return redirect(url_for(".list_accounts"))


@bp.post("/<int:account_id>/reset-password")
def reset_password(account_id: int):
    try:
        email, password = account_service.reset_password(_uow(), principal(), account_id,
                                                         hasher=hasher_for(current_app.config))
    except recovery.RecoveryError as exc:
        return _page(sentence(exc), 400)
    notices.notify_changed(mail.mailer(), email, "reset by the Manager", service=service_title(setting_name()))
    # Shown in this response only; they choose their own at the next sign-in.
    return _page(one_time=(email, password))
