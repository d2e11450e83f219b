"""Encryption at rest (AES-256-GCM) for templates, reference photos and quarantined media."""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
FORMAT_VERSION = b"\x01"


class SealError(Exception):
    """Sealed bytes were altered, truncated or sealed under another key or context."""


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt plaintext bound to context (e.g. b'template:42'), so it cannot be swapped."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def unseal(key: bytes, sealed: bytes, context: bytes) -> bytes:
    """Decrypt what seal() made with the same key and context; raises SealError otherwise."""
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT_VERSION:
        raise SealError("sealed data is truncated or of an unknown format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, context)
    except InvalidTag:
        raise SealError("sealed data was altered or belongs elsewhere") from None
