"""Channel targets: the JSON on a channel row saying where its published copies go, checked before use."""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from gatekeeper.publishers.base import InvalidTarget, PublisherMisconfigured

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
            "name where it lives instead (an environment variable or a private file), or for S3 "
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


_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class SecretRef:
    """Where a channel's secret lives (an environment variable or a private file), never the secret itself."""

    env: str | None = None
    file: str | None = None

    def read(self) -> str:
        """The secret, stripped; raises PublisherMisconfigured when it is missing, empty or readable by others."""
        if self.env is not None:
            value = os.environ.get(self.env, "").strip()
            if not value:
                raise PublisherMisconfigured(f"the environment variable {self.env} is not set")
            return value
        path = Path(str(self.file))
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise PublisherMisconfigured(f"{path} holds a secret and can be read by other users: run 'chmod 600 {path}'")
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PublisherMisconfigured(f"cannot read the secret file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise PublisherMisconfigured(f"the secret file {path} is not UTF-8 text") from None
        if not value:
            raise PublisherMisconfigured(f"the secret file {path} is empty")
        return value

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env is not None else f"file {self.file}"


def secret_fields(name: str) -> dict[str, type]:
    """The two optional target fields that can say where the secret called name lives."""
    return {f"{name}_env": str, f"{name}_file": str}


def read_secret_ref(fields: Mapping[str, Any], name: str, *, kind: str) -> SecretRef:
    """The SecretRef of exactly one of <name>_env / <name>_file; raises InvalidTarget otherwise."""
    env, file = fields.get(f"{name}_env"), fields.get(f"{name}_file")
    if (env is None) == (file is None):
        raise InvalidTarget(f"the {kind} target needs exactly one of {name}_env (an environment variable) "
                            f"or {name}_file (a file readable only by the gatekeeper) for its {name}")
    if env is not None and not _ENV_NAME.match(env):
        raise InvalidTarget(f"{name}_env must name an environment variable (capitals, digits, '_'), got {env!r}")
    if file is not None and not Path(file).is_absolute():
        raise InvalidTarget(f"{name}_file must be an absolute path, got {file!r}")
    return SecretRef(env=env, file=file)


def check_base_url(url: str, *, field_name: str, kind: str) -> str:
    """url without a trailing slash when it is https (or http to this machine, for tests and a local
    site); raises InvalidTarget, because a secret sent over plain http can be read on the way."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidTarget(f"{field_name} in the {kind} target must be an https:// address, got {url!r}")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise InvalidTarget(f"{field_name} in the {kind} target must use https: over plain http the password "
                            "would cross the network readable")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidTarget(f"{field_name} in the {kind} target must be a plain address without ?, # or a login")
    return url.rstrip("/")
