"""Links sent or shown to people (invitations, password resets), built only from PUBLIC_URL.

The Host header of a request is chosen by whoever sends it, so a link built from it could send a
token to someone else's server. With PUBLIC_URL empty no such link is made at all.
"""
from __future__ import annotations

from flask import current_app, url_for


class NoPublicUrl(Exception):
    """PUBLIC_URL is not set, so no link can be made; the message says what to do."""


def public_link(endpoint: str, **values) -> str:
    """PUBLIC_URL joined with the endpoint's path; raises NoPublicUrl when PUBLIC_URL is empty."""
    base = (current_app.config.get("PUBLIC_URL") or "").strip()
    if not base:
        raise NoPublicUrl("Set PUBLIC_URL (the address people reach this service at, e.g. https://photos.example.org) "
                          "before links can be made.")
    return base.rstrip("/") + url_for(endpoint, **values)
