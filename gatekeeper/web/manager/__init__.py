"""The Manager's pages, one module per area; every blueprint here is for signed-in Managers only."""
from __future__ import annotations

from flask import Blueprint, g

from consent_db.models import Role
from gatekeeper.web.current import require_role


def manager_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose every route needs a fully signed-in Manager."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(require_role(Role.MANAGER))
    return bp


def setting_id() -> int:
    """The signed-in Manager's setting."""
    return g.account.setting_id
