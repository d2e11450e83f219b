"""Channel targets: the JSON on a channel row saying where its published copies go, checked before use."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from gatekeeper.publishers.base import InvalidTarget

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Keys people paste from AWS examples; credentials belong to the standard chain, never to a channel row.
_SECRET_KEYS = {
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
    "access_key", "secret_key", "access_key_id", "secret_access_key", "password", "token",
}


def default_target(channels_dir: str | Path, slug: str) -> dict[str, str]:
    """The embedded default for a channel without a target: <CHANNELS_DIR>/<slug>/; raises InvalidTarget."""
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise InvalidTarget(
            f"channel slug {slug!r} cannot name a folder: use lowercase letters, digits, '-' or '_'")
    return {"kind": "local", "path": str(Path(channels_dir).expanduser().resolve() / slug)}


def read_fields(target: Mapping[str, Any], *, kind: str, required: Mapping[str, type],
                optional: Mapping[str, type]) -> dict[str, Any]:
    """The target's fields once every key is known, present when required and of the right type."""
    found = {key: value for key, value in target.items() if key != "kind"}
    secrets = sorted(key for key in found if str(key).lower() in _SECRET_KEYS)
    if secrets:
        raise InvalidTarget(
            f"the {kind} target must not hold credentials ({', '.join(secrets)}): "
            "use the environment, ~/.aws/credentials or an instance role")
    unknown = sorted(str(key) for key in found if key not in required and key not in optional)
    if unknown:
        allowed = ", ".join(sorted([*required, *optional]))
        raise InvalidTarget(f"the {kind} target has unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    missing = sorted(key for key in required if found.get(key) in (None, ""))
    if missing:
        raise InvalidTarget(f"the {kind} target needs {', '.join(missing)}")
    for key, value in found.items():
        wanted = required.get(key) or optional[key]
        # bool is an int in Python; a target saying "public_read": 1 is still refused.
        if value is not None and (type(value) is not wanted):
            raise InvalidTarget(f"{key} in the {kind} target must be {wanted.__name__}, got {type(value).__name__}")
    return found


def kind_of(target: Any) -> str:
    """The target's kind; raises InvalidTarget when target is not a mapping with a text kind."""
    if not isinstance(target, Mapping):
        raise InvalidTarget(f"a channel target must be a JSON object, got {type(target).__name__}")
    kind = target.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InvalidTarget("a channel target needs a kind, such as \"local\" or \"s3\"")
    return kind
