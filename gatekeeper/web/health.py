"""Probes for load balancers and the operator: /healthz (alive) and /readyz (ready to take work)."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gatekeeper import doctor
from gatekeeper.database import session_factory

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

_FACE_MODELS_PASSED = "gatekeeper.health.face_models"


def check_face_models_once(app: Flask) -> doctor.Finding:
    """doctor.check_face_models, remembered once it passed: loading both networks costs about 100 ms a probe."""
    passed = app.extensions.get(_FACE_MODELS_PASSED)
    if passed is not None:
        return passed
    finding = doctor.check_face_models(app)
    if finding.ok:
        app.extensions[_FACE_MODELS_PASSED] = finding
    return finding


# The parts a request or a job needs; the rest of doctor's checks are for the operator.
READY_CHECKS = (
    doctor.check_database,
    doctor.check_migrations,
    doctor.check_quarantine,
    doctor.check_jobs,
    doctor.check_worker,
    check_face_models_once,
)


@bp.get("/healthz")
def healthz():
    """200 when the process can reach its database, else 503."""
    try:
        with session_factory()() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """200 when every part a request needs works, else 503 naming the failing parts."""
    findings = doctor.run_checks(current_app._get_current_object(), checks=READY_CHECKS)
    failing = [f.name for f in findings if not f.ok]
    for finding in findings:
        if not finding.ok:
            # The details name hosts, buckets and folders: for the operator's log, not for any caller.
            log.warning("not ready: %s: %s", finding.name, finding.detail)
    body = {"status": "not ready" if failing else "ready",
            "checks": {f.name: "ok" if f.ok else "failing" for f in findings},
            "failing": failing}
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response
