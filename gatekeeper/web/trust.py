"""The instance's certificate authority for tablets and phones to trust once, so HTTPS on the setting's
network shows no warning. Public and served over plain HTTP too: a device must fetch it before it can
trust the HTTPS pages, so the pages show its fingerprint to compare."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request

from gatekeeper import certificates
from gatekeeper.web.branding import setting_name

bp = Blueprint("trust", __name__, url_prefix="/trust")


def _instance() -> Path:
    return Path(current_app.config["INSTANCE_PATH"])


def _file_stem() -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (setting_name() or "").lower()).strip("-")
    return f"{slug}-photo-gatekeeper" if slug else "photo-gatekeeper"


def _host() -> str:
    """PUBLIC_URL's host, else the one this page was asked for (these links carry no secret)."""
    host = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or request.host.rsplit(":", 1)[0]
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def trust_details() -> dict | None:
    """Where a device fetches the authority (plain HTTP) and its fingerprint; None unless HTTPS is served."""
    if not current_app.config.get("HTTPS"):
        return None
    try:
        info = certificates.authority_info(_instance())
    except certificates.CertificateError:
        return None
    port = int(current_app.config["PORT"])
    base = f"http://{_host()}" + ("" if port == 80 else f":{port}")
    https_port = int(current_app.config["HTTPS_PORT"])
    public = current_app.config.get("PUBLIC_URL") or ""
    https_url = public if public.startswith("https://") else (
        f"https://{_host()}" + ("" if https_port == 443 else f":{https_port}"))
    return {"page": f"{base}/trust", "fingerprint": info.sha256, "https_url": https_url}


@bp.get("")
def instructions():
    details = trust_details()
    if details is None:
        abort(404)
    return render_template("trust.html", trust=details)


@bp.get("/authority.crt")
def authority_certificate():
    try:
        der = certificates.authority_der(_instance())
    except certificates.CertificateError:
        abort(404)
    # DER with this type: Android's certificate installer and desktop browsers take it as a CA certificate.
    return Response(der, mimetype="application/x-x509-ca-cert",
                    headers={"Content-Disposition": f'attachment; filename="{_file_stem()}.crt"'})


@bp.get("/authority.mobileconfig")
def apple_profile():
    try:
        profile = certificates.apple_profile(_instance(), setting_name() or "")
    except certificates.CertificateError:
        abort(404)
    return Response(profile, mimetype="application/x-apple-aspen-config",
                    headers={"Content-Disposition": f'attachment; filename="{_file_stem()}.mobileconfig"'})
