"""The Argon2id hasher the app uses, with the cost its configuration names."""
from __future__ import annotations

from typing import Any, Mapping

from argon2 import PasswordHasher, Type


def hasher_for(config: Mapping[str, Any]) -> PasswordHasher:
    """Argon2id with ARGON2_TIME_COST and ARGON2_MEMORY_COST (KiB)."""
    return PasswordHasher(
        time_cost=int(config["ARGON2_TIME_COST"]), memory_cost=int(config["ARGON2_MEMORY_COST"]),
        parallelism=4, type=Type.ID,
    )
