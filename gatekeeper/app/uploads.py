"""Resumable chunked uploads from a registered tablet: start, send chunks, ask what arrived, finish, cancel.

Each function checks the upload policy (staff on a registered tablet, as for a one-request upload),
and the upload belongs to the account and tablet that started it. Callers handle PolicyError,
chunks.ChunkError (UnknownUpload, ChunkRefused and its TooLarge, ChunkConflict, Incomplete,
PartDamaged, TooManyUploads), and on finish Refused and QuarantineError as for media.upload.
"""
from __future__ import annotations

import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from consent_db.models import MediaItem
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.ingest import UploadDetails, UploadDetailsRefused, checked_details, receive_upload
from gatekeeper.media import MediaType, Refused
from gatekeeper.storage.chunks import ChunkRefused, UploadInfo, UploadOwner

MAX_NAME_CHARS = 255
# What browsers and tablets call the types the sanitiser knows; the bytes are sniffed again on finish.
DECLARED_TYPES = frozenset({t.mime for t in MediaType}) | {
    "image/jpg", "image/pjpeg", "image/heic", "image/heic-sequence", "image/heif-sequence", "video/x-m4v",
}
# An empty or generic type is judged by the name's extension instead.
EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "mp4", "m4v", "mov"})
_GENERIC = {"", "application/octet-stream"}


class UnsupportedType(ChunkRefused):
    """The declared type is not a photo or video this service accepts."""


@dataclass(frozen=True)
class Progress:
    """An upload and the chunks the server holds so far."""

    info: UploadInfo
    received: list[int]

    @property
    def received_bytes(self) -> int:
        return sum(self.info.span(i)[1] for i in self.received)

    @property
    def complete(self) -> bool:
        return len(self.received) == self.info.chunk_count


def _owner(principal: Principal) -> UploadOwner:
    policy.require(principal, Action.MEDIA_UPLOAD)
    policy.require_registered_tablet(principal)
    return UploadOwner(principal.account_id, principal.device_id, principal.setting_id)


def check_name(name: str) -> str:
    """The file name as shown back to the uploader; raises ChunkRefused for an unusable one."""
    name = (name or "").strip()
    if not name:
        return "file"
    if len(name) > MAX_NAME_CHARS:
        raise ChunkRefused(f"the file name is longer than {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise ChunkRefused("the file name contains control characters")
    return name


def check_type(mime: str, name: str) -> str:
    """The declared type, lower-cased, when it is one we accept; raises UnsupportedType."""
    mime = (mime or "").split(";", 1)[0].strip().lower()
    if mime in DECLARED_TYPES:
        return mime
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if mime in _GENERIC and extension in EXTENSIONS:
        return mime
    raise UnsupportedType("only photos (JPEG, PNG, GIF, WebP, HEIC) and videos (MP4, MOV) are accepted")


def start(ctx: GateContext, principal: Principal, *, name: str, size: int, mime: str,
          details: UploadDetails = UploadDetails()) -> Progress:
    """Open an upload of size bytes; refuses an unsupported type, a file over the limit, or a caption or list
    of people that would be refused at the end (UploadDetailsRefused), before any byte is sent."""
    owner = _owner(principal)
    name = check_name(name)
    mime = check_type(mime, name)
    checked_details(ctx, principal.setting_id, details)
    return Progress(ctx.uploads.start(owner, name=name, size=size, mime=mime), [])


def put_chunk(ctx: GateContext, principal: Principal, upload_id: str, index: int, offset: int, data: bytes) -> bool:
    """Store one chunk, sealed; True when new, False when the same bytes were already stored."""
    return ctx.uploads.put(upload_id, _owner(principal), index, offset, data)


def progress(ctx: GateContext, principal: Principal, upload_id: str) -> Progress:
    """The upload and which chunks arrived, so a client can resume after a dropped connection."""
    owner = _owner(principal)
    store = ctx.uploads
    return Progress(store.info(upload_id, owner), store.received(upload_id, owner))


def finish(ctx: GateContext, principal: Principal, upload_id: str, *, uploader_person_id: int | None = None,
           details: UploadDetails = UploadDetails()) -> tuple[UploadInfo, MediaItem]:
    """Open the parts in order into the private work folder, then receive the file as one upload.

    A refused file removes the upload (nothing is kept); a storage failure keeps it for another try.
    """
    owner = _owner(principal)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        with ctx.uploads.assembled(upload_id, owner, Path(scratch),
                                   final_errors=(Refused, UploadDetailsRefused)) as (info, path):
            item = receive_upload(ctx, path, uploader=principal.actor, uploader_person_id=uploader_person_id,
                                  setting_id=principal.setting_id, details=details)
    return info, item


def cancel(ctx: GateContext, principal: Principal, upload_id: str) -> None:
    """Remove an unfinished upload and every chunk of it."""
    ctx.uploads.discard(upload_id, _owner(principal))


def remove_abandoned(ctx: GateContext) -> list[str]:
    """Remove uploads untouched for UPLOAD_ABANDONED_HOURS (the sweep and start-up call this)."""
    return ctx.uploads.remove_abandoned(float(ctx.config["UPLOAD_ABANDONED_HOURS"]) * 3600)
