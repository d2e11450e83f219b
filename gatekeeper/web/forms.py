"""Small helpers for reading posted forms: whole numbers, dates, and first-letter-capital messages."""
from __future__ import annotations

from flask import abort, request


def sentence(error: Exception | str) -> str:
    """An error message as a sentence: capital first letter, full stop."""
    text = str(error).strip()
    if not text:
        return "Something was not right."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def int_field(name: str, *, required: bool = True) -> int | None:
    """A whole number from the form; a missing or malformed required one is a 400."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            abort(400, description=f"The form is missing {name.replace('_', ' ')}.")
        return None
    if not raw.isdigit():
        abort(400, description=f"{name.replace('_', ' ').capitalize()} must be a whole number.")
    return int(raw)


def int_list(name: str) -> list[int]:
    """Every whole number posted under name; malformed values are a 400."""
    values = []
    for raw in request.form.getlist(name):
        if not raw.strip().isdigit():
            abort(400, description=f"{name.replace('_', ' ').capitalize()} must be whole numbers.")
        values.append(int(raw))
    return values
