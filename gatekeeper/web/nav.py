"""The main navigation per role: (endpoint, label, blueprints that mark it current)."""
from __future__ import annotations

from flask import Flask, current_app, g, request

from consent_db.models import Role
from gatekeeper.web.services.qr import qr_svg

NAV: dict[Role, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    Role.MANAGER: (
        ("manager_queue.queue", "Queue", ("manager_queue",)),
        ("manager_people.people", "People", ("manager_people", "manager_consent", "manager_enrolment")),
        ("manager_channels.channels", "Channels", ("manager_channels",)),
        ("manager_devices.list_devices", "Tablets", ("manager_devices",)),
        ("manager_accounts.list_accounts", "Accounts", ("manager_accounts",)),
        ("manager_audit.events", "Audit log", ("manager_audit",)),
    ),
    Role.STAFF: (
        ("staff.upload", "Upload", ("staff.upload",)),
        ("staff.my_uploads", "My uploads", ("staff.my_uploads",)),
        ("staff.my_consent", "My consent", ("staff.my_consent",)),
    ),
    Role.PARENT: (("parents.family", "My children", ("parents",)),),
}


def nav_items() -> list[tuple[str, str, bool]]:
    """(endpoint, label, is current) for the signed-in role; endpoints not built yet are left out."""
    account = g.get("account")
    if account is None:
        return []
    here = {request.blueprint or "", request.endpoint or ""}
    return [(endpoint, label, bool(here & set(marks))) for endpoint, label, marks in NAV[account.role]
            if endpoint in current_app.view_functions]


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.filters["qr"] = qr_svg
