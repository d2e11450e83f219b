"""Captions must not name children: a surname refuses the caption, a first name warns."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable


class CaptionRefused(ValueError):
    """The caption names an enrolled child's surname; the message says which word."""


@dataclass(frozen=True)
class Name:
    first_name: str
    surname: str


def _fold(text: str) -> str:
    # "Zoë" and "Zoe", "O'Brien" and "O’Brien" are the same name to a reader.
    text = unicodedata.normalize("NFKD", text).replace("\u2019", "'")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def _mentions(caption: str, name: str) -> bool:
    name = _fold(name).strip()
    if not name:
        return False
    # A possessive ("Sam's") still names Sam; "O" inside "O'Brien" does not.
    return re.search(rf"(?<![\w']){re.escape(name)}(?!\w)(?!'(?!s\b))", _fold(caption)) is not None


def check_caption(caption: str, children: Iterable[Name]) -> list[str]:
    """Warnings for first names found; raises CaptionRefused when a surname is found."""
    warnings = []
    for child in children:
        if _mentions(caption, child.surname):
            raise CaptionRefused(f"the caption contains a child's surname ({child.surname!r}): remove it")
        if _mentions(caption, child.first_name):
            warnings.append(f"the caption contains a child's first name ({child.first_name!r}): is that needed?")
    return warnings
