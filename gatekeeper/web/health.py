"""Liveness for load balancers and the operator: /healthz."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gatekeeper.database import session_factory

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the process can reach its database, else 503."""
    try:
        with session_factory()() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")
