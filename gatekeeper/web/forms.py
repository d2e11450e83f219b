"""Small helpers for reading posted forms and page numbers: whole numbers, dates, and first-letter-capital
messages."""
from __future__ import annotations

from flask import abort, request

from gatekeeper.web.words import first_upper


def sentence(error: Exception | str) -> str:
    """An error message as a sentence: capital first letter, full stop."""
    text = str(error).strip()
    if not text:
        return "Something was not right."
    text = first_upper(text)
    return text if text.endswith((".", "!", "?")) else text + "."


def page_number(*, most: int = 100_000) -> int:
    """The ?page= of a paged list (1 when absent); anything but a whole number from 1 to most is a 400."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= most:
        abort(400, description="The page number must be a whole number from 1.")
    return int(page)


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
