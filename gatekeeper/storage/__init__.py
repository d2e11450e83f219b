"""The quarantine store, chosen by QUARANTINE_URL: a local folder (default) or a private S3 bucket."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from gatekeeper.storage.base import QuarantineMisconfigured, QuarantineStore
from gatekeeper.storage.envelope import Keyring
from gatekeeper.storage.local import LocalQuarantine
from gatekeeper.storage.s3 import S3Quarantine


def _local(url: str, keyring: Keyring, config: Mapping[str, Any]) -> QuarantineStore:
    path = Path(urlsplit(url).path if url.startswith("file://") else url).expanduser()
    if not path.is_absolute():
        path = Path(config["INSTANCE_PATH"]) / path
    return LocalQuarantine(path, keyring)


def _s3(url: str, keyring: Keyring, config: Mapping[str, Any]) -> QuarantineStore:
    return S3Quarantine.from_url(
        url, keyring,
        region=config.get("QUARANTINE_S3_REGION") or None,
        endpoint_url=config.get("QUARANTINE_S3_ENDPOINT_URL") or None,
    )


STORES: dict[str, Callable[[str, Keyring, Mapping[str, Any]], QuarantineStore]] = {
    "local": _local,
    "s3": _s3,
}
_SCHEMES = {"": "local", "file": "local", "s3": "s3"}


def keyring_from_config(config: Mapping[str, Any]) -> Keyring:
    """DATA_KEY seals; DATA_KEY_PENDING (an unfinished rotation's new key) may also open."""
    pending = config.get("DATA_KEY_PENDING")
    try:
        return Keyring(config.get("DATA_KEY"), older=(pending,) if pending else ())
    except ValueError as exc:
        raise QuarantineMisconfigured(f"the instance data key is unusable ({exc}): restore secrets.json") from None


def quarantine_from_config(config: Mapping[str, Any]) -> QuarantineStore:
    """The store QUARANTINE_URL names (empty: the folder QUARANTINE_DIR); raises QuarantineMisconfigured."""
    # "{instance_id}" in the URL gives each instance sharing a bucket its own prefix.
    url = str(config.get("QUARANTINE_URL") or config["QUARANTINE_DIR"]).replace(
        "{instance_id}", str(config.get("INSTANCE_ID") or ""))
    scheme = urlsplit(url).scheme.lower()
    kind = _SCHEMES.get(scheme)
    if kind is None:
        raise QuarantineMisconfigured(
            f"QUARANTINE_URL {url!r}: unknown scheme {scheme!r}; use a folder path or s3://bucket/prefix")
    return STORES[kind](url, keyring_from_config(config), config)


__all__ = ["STORES", "quarantine_from_config", "keyring_from_config"]
