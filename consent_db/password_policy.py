"""What a password must be (OWASP ASVS 2.1): long enough, not common, not the account's own name or email.

No composition rules: length and a check against a list of common passwords do more. The list is the
30,000 most common passwords from leaked password sets, shipped inside the `zxcvbn` package, so
nothing is fetched at run time and no password ever leaves the box.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

MIN_LENGTH = 12
MAX_LENGTH = 128
# Parts of a name or email shorter than this are too common to forbid ("an", "jo").
MIN_CONTEXT_PART = 4
_SPLIT = re.compile(r"[\s@._+\-]+")
_TRAILING = re.compile(r"[\d\W_]+$")


class PasswordRefused(ValueError):
    """The password breaks the policy; the message says why in plain words (nothing was changed)."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The common-password list (lower case); loaded once."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _is_repetition(text: str) -> bool:
    """Whether the text is one short run repeated ("aaaaaaaaaaaa", "abcabcabcabc")."""
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in range(1, 4))


def _is_sequence(text: str) -> bool:
    """Whether the text steps by one each character, up or down ("123456789012", "abcdefghijkl")."""
    steps = {(ord(b) - ord(a)) % 10 if a.isdigit() and b.isdigit() else ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return steps in ({1}, {-1}, {9})


def _context_parts(context: Iterable[str]) -> set[str]:
    parts: set[str] = set()
    for item in context:
        folded = _fold(item or "").strip()
        if len(folded) >= MIN_CONTEXT_PART:
            parts.add(folded)
        parts.update(p for p in _SPLIT.split(folded) if len(p) >= MIN_CONTEXT_PART)
    return parts


def check(password: str, *, context: Iterable[str] = ()) -> None:
    """Raise PasswordRefused unless the password fits; context: the account's email and names."""
    if not password or not password.strip():
        raise PasswordRefused(f"the password must have at least {MIN_LENGTH} characters")
    length = len(password)
    if length < MIN_LENGTH:
        raise PasswordRefused(f"the password must have at least {MIN_LENGTH} characters")
    if length > MAX_LENGTH:
        raise PasswordRefused(f"the password must have at most {MAX_LENGTH} characters")
    folded = _fold(password)
    squeezed = "".join(folded.split())
    common = common_passwords()
    if (folded in common or squeezed in common or _TRAILING.sub("", squeezed) in common or _is_repetition(squeezed)
            or _is_sequence(squeezed)):
        raise PasswordRefused("that password is too common or too easy to guess")
    for part in _context_parts(context):
        if part in squeezed or part in folded:
            raise PasswordRefused("the password must not contain your name or email address")
