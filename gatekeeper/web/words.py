"""Sentences in the pages: a Jinja filter that starts one with a capital and leaves names as written."""
from __future__ import annotations

from flask import Flask


def first_upper(text: str | None) -> str:
    """The text with its first letter raised; unlike Jinja's capitalize, "Our website" stays as it is."""
    text = "" if text is None else str(text)
    return text[:1].upper() + text[1:]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["first_upper"] = first_upper
