"""Backups of a running instance into one encrypted archive, and restores of one into a new instance.

An archive holds a manifest, config.toml, a consistent copy of the database (face templates and
two-factor secrets are in it, sealed), every quarantined object as it is stored (sealed, never
opened here), the published copies in the instance's own channel folders, and secrets.json last.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterator

from flask import Flask
from sqlalchemy import select

from consent_db import migrate
from consent_db.audit import verify_chain
from consent_db.models import Channel, MediaItem, Publication, PublicationState
from consent_db.snapshots import SnapshotError, check_restorable, restore_snapshot, take_snapshot
from consent_db.timeutil import now as utcnow
from gatekeeper import config as config_module
from gatekeeper import instance
from gatekeeper.database import session_factory
from gatekeeper.gate.renditions import store_key
from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.base import PublisherError
from gatekeeper.publishers.targets import default_target
from gatekeeper.storage import quarantine_from_config
from gatekeeper.storage.archive import (
    DEFAULT_COST,
    ArchiveDamaged,
    ArchiveWriter,
    read_entries,
)
from gatekeeper.storage.base import ItemNotFound, QuarantineError, QuarantineStore, is_item_key

FORMAT = 1
SUFFIX = ".gkb"
_NAME = re.compile(r"^gatekeeper-backup-\d{8}T\d{6}Z" + re.escape(SUFFIX) + "$")
MANIFEST, FILE, DATABASE, QUARANTINE, CHANNEL = "manifest", "file", "database", "quarantine", "channel"
# Only these instance files travel; instance-id is left behind unless asked for (see restore_backup).
INSTANCE_FILES = (config_module.CONFIG_FILE, instance.SECRETS_FILE, instance.INSTANCE_ID_FILE)
_SMALL_ENTRY = 1024 * 1024
_URL_KEYS = ("DATABASE_URL", "JOBS_URL")


class BackupError(Exception):
    """A backup or restore could not be done; the message is a sentence for the operator."""


class RestoreRefused(BackupError):
    """The restore target is unsuitable (not empty, wrong kind of database); nothing was written."""


@dataclass
class BackupSummary:
    path: str
    database: str
    schema: str | None
    quarantine_objects: int
    channel_files: int
    vanished: list[str] = field(default_factory=list)  # deleted by the service while the backup ran
    pruned: list[str] = field(default_factory=list)


def backup_name(moment: datetime) -> str:
    """The file name of a backup taken at moment; retention prunes only names of this shape."""
    return f"gatekeeper-backup-{moment:%Y%m%dT%H%M%SZ}{SUFFIX}"


def prune(folder: Path, keep: int) -> list[str]:
    """Delete all but the newest keep backups in folder (by the time in their names); returns those deleted."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    ours = sorted((p for p in folder.iterdir() if _NAME.match(p.name) and p.is_file()), key=lambda p: p.name)
    doomed = ours[:-keep]
    for path in doomed:
        path.unlink()
    return [p.name for p in doomed]


def _private_file(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, instance.PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def _channel_files(channels: Path) -> Iterator[tuple[str, Path]]:
    if not channels.is_dir():
        return
    for path in sorted(channels.rglob("*")):
        relative = path.relative_to(channels)
        # Hidden entries are publishers' staging folders and partial copies, never published copies.
        if path.is_file() and not path.is_symlink() and not any(p.startswith(".") for p in relative.parts):
            yield relative.as_posix(), path


def take_backup(app: Flask, folder: Path, passphrase: str, *, keep: int | None = None,
                cost: tuple[int, int, int] | None = None, clock: Callable[[], datetime] = utcnow) -> BackupSummary:
    """Write one encrypted archive of the running instance into folder; raises BackupError or ArchiveError.

    The database is copied first and the quarantine after it, so an upload during the backup is in
    the archive as an object without a row (harmless) rather than a row without its object.
    """
    config = app.config
    cost = cost or (int(config.get("BACKUP_SCRYPT_LOG2_N", DEFAULT_COST[0])), *DEFAULT_COST[1:])
    source = Path(config["INSTANCE_PATH"])
    folder = Path(folder)
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder")
    if folder.resolve() == source or source in folder.resolve().parents:
        raise BackupError("write backups outside the instance folder (another disk or machine, ideally)")
    dest = folder / backup_name(clock())
    if dest.exists():
        raise BackupError(f"{dest} already exists: one backup a second at most")
    partial = folder / f".{dest.name}.partial"
    store = quarantine_from_config(config)
    try:
        with tempfile.TemporaryDirectory(dir=source, prefix=".backup-") as scratch, _private_file(partial) as out:
            writer = ArchiveWriter(out, passphrase, cost=cost)
            snapshot = Path(scratch) / "database"
            try:
                dialect = take_snapshot(config["DATABASE_URL"], snapshot)
            except SnapshotError as exc:
                raise BackupError(str(exc)) from None
            manifest = {"format": FORMAT, "created_at": clock().isoformat(), "instance_path": str(source),
                        "instance_id": config.get("INSTANCE_ID"), "database": dialect,
                        "schema": migrate.current_revision(session_factory(app).kw["bind"]),
                        "quarantine": store.kind}
            writer.add_bytes(MANIFEST, "manifest.json", json.dumps(manifest).encode())
            config_file = source / config_module.CONFIG_FILE
            if config_file.is_file():
                writer.add_bytes(FILE, config_module.CONFIG_FILE, config_file.read_bytes())
            with snapshot.open("rb") as dump:
                writer.add(DATABASE, dialect, dump)
            snapshot.unlink()
            objects, vanished = _add_quarantine(writer, store)
            files = 0
            for name, path in _channel_files(Path(config["CHANNELS_DIR"])):
                with path.open("rb") as fh:
                    writer.add(CHANNEL, name, fh)
                files += 1
            # Last, so a key rotation finishing during the backup still leaves a key for every object.
            for name in (instance.SECRETS_FILE, instance.INSTANCE_ID_FILE):
                if (source / name).is_file():
                    writer.add_bytes(FILE, name, (source / name).read_bytes())
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    pruned = prune(folder, keep) if keep else []
    return BackupSummary(str(dest), dialect, manifest["schema"], objects, files, vanished, pruned)


def _add_quarantine(writer: ArchiveWriter, store: QuarantineStore) -> tuple[int, list[str]]:
    count, vanished = 0, []
    for key in store.keys():
        try:
            with store.read_sealed(key) as sealed:
                writer.add(QUARANTINE, key, sealed)
        except ItemNotFound:
            vanished.append(key)  # rejected or purged after it was listed: its row says so too
            continue
        count += 1
    return count, vanished


# ---- restore ---------------------------------------------------------------------------------

@dataclass
class _Contents:
    manifest: dict
    files: dict[str, bytes]
    database: str
    quarantine: list[str]
    channels: list[str]


def _safe_channel_name(name: str) -> str:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ArchiveDamaged(f"the backup archive names a channel file outside the channels folder: {name!r}")
    return name


def _read_small(entry) -> bytes:
    data = bytearray()
    for piece in entry.pieces():
        data += piece
        if len(data) > _SMALL_ENTRY:
            raise ArchiveDamaged(f"the backup archive's {entry.name} is larger than any backup makes")
    return bytes(data)


def _survey(archive: Path, passphrase: str) -> _Contents:
    """Read the archive through once (every chunk authenticated) and note what it holds."""
    manifest, files, database, quarantine, channels = None, {}, None, [], []
    with archive.open("rb") as fh:
        for entry in read_entries(fh, passphrase):
            if entry.kind == MANIFEST:
                try:
                    manifest = json.loads(_read_small(entry))
                except ValueError:
                    raise ArchiveDamaged("the backup archive's manifest is unreadable") from None
            elif entry.kind == FILE and entry.name in INSTANCE_FILES:
                files[entry.name] = _read_small(entry)
            elif entry.kind == DATABASE and entry.name in ("sqlite", "postgresql") and database is None:
                database = entry.name
            elif entry.kind == QUARANTINE and is_item_key(entry.name):
                quarantine.append(entry.name)
            elif entry.kind == CHANNEL:
                channels.append(_safe_channel_name(entry.name))
            else:
                raise ArchiveDamaged(f"the backup archive holds an unknown entry {entry.kind}:{entry.name!r}")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or database is None \
            or instance.SECRETS_FILE not in files:
        raise ArchiveDamaged("the backup archive is incomplete (manifest, database or secrets.json missing)")
    return _Contents(manifest, files, database, quarantine, channels)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise BackupError(f"config.toml holds a value this restore cannot rewrite ({type(value).__name__})")


def _moved(value: Any, old: str, new: str) -> Any:
    """value with the old instance folder replaced by the new one, wherever a path or URL starts with it."""
    if isinstance(value, str):
        for prefix in ("", "sqlite:///", "file://"):
            if value.startswith(prefix + old + "/") or value == prefix + old:
                return prefix + new + value[len(prefix + old):]
        return value
    if isinstance(value, list):
        return [_moved(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _moved(v, old, new) for k, v in value.items()}
    return value


def _new_config(contents: _Contents, folder: Path, overrides: dict[str, str]) -> str | None:
    raw = contents.files.get(config_module.CONFIG_FILE)
    if raw is None and not overrides:
        return None
    try:
        settings = tomllib.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise ArchiveDamaged("the backup's config.toml is unreadable") from None
    old = str(contents.manifest.get("instance_path") or "")
    settings = {k: _moved(v, old, str(folder)) if old else v for k, v in settings.items()}
    for key, value in overrides.items():
        settings = {k: v for k, v in settings.items() if k.upper() != key}
        settings[key.lower()] = value
    if any(isinstance(v, dict) for v in settings.values()):
        raise BackupError("config.toml has tables this restore cannot rewrite: restore with it edited by hand")
    return "".join(f"{key} = {_toml_value(value)}\n" for key, value in settings.items())


def _check_empty(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise RestoreRefused(f"{folder} is not empty: restore into a new, empty instance folder")


@dataclass
class RestoreSummary:
    """What restore_backup put where; settle_restored finishes the job on the new instance's app."""

    instance: str
    database: str
    schema: str | None  # the backup's; settle_restored migrates it to head
    quarantine_objects: int
    channel_files: int
    instance_id: str
    old_instance: str


def restore_backup(archive: Path, folder: Path, passphrase: str, *, database_url: str | None = None,
                   quarantine_url: str | None = None, keep_instance_id: bool = False,
                   environ: dict[str, str] | None = None) -> RestoreSummary:
    """Restore archive into the new, empty instance folder; then open its app and call settle_restored.

    Raises RestoreRefused (target unsuitable), WrongPassphrase or ArchiveDamaged (nothing written),
    or BackupError. The restored instance gets a new instance id (its own job queue) unless
    keep_instance_id, which is for replacing a lost instance, never for running beside it.
    """
    folder = Path(folder).resolve()
    _check_empty(folder)
    contents = _survey(archive, passphrase)
    overrides = {k: v for k, v in (("DATABASE_URL", database_url), ("QUARANTINE_URL", quarantine_url)) if v}
    config_text = _new_config(contents, folder, overrides)
    existed = folder.exists()
    folder.mkdir(parents=True, exist_ok=True, mode=instance.PRIVATE_FOLDER)
    written: list[str] = []
    store: QuarantineStore | None = None
    try:
        if config_text is not None:
            with _private_file(folder / config_module.CONFIG_FILE) as fh:
                fh.write(config_text.encode("utf-8"))
        with _private_file(folder / instance.SECRETS_FILE) as fh:
            fh.write(contents.files[instance.SECRETS_FILE])
        keys = instance.load_secrets(folder)
        settings = config_module.load(folder, environ=environ)
        settings.update(DATA_KEY=keys.data_key, DATA_KEY_PENDING=keys.pending_data_key)
        if keep_instance_id and instance.INSTANCE_ID_FILE in contents.files:
            chosen = instance.write_instance_id(folder, contents.files[instance.INSTANCE_ID_FILE].decode().strip())
        else:
            chosen = instance.write_instance_id(folder)
        settings["INSTANCE_ID"] = settings.get("INSTANCE_ID") or chosen
        store = quarantine_from_config(settings)
        _precheck(contents, settings, store)
        _extract(archive, passphrase, folder, settings, store, written)
    except BaseException as exc:
        _undo(folder, existed, store, written)
        if isinstance(exc, instance.InstanceError):
            raise ArchiveDamaged(f"the backup's secrets are unusable: {exc}") from None
        if isinstance(exc, (SnapshotError, QuarantineError)):
            where = "" if contents.database == "sqlite" else \
                " The new PostgreSQL database may hold part of the restore: drop and re-create it before trying again."
            raise BackupError(f"restore failed and was undone: {exc}.{where}") from None
        raise
    return RestoreSummary(str(folder), contents.database, contents.manifest.get("schema"), len(contents.quarantine),
                          len(contents.channels), chosen, str(contents.manifest.get("instance_path") or ""))


def settle_restored(app: Flask, restored: RestoreSummary) -> RestoreCheck:
    """Bring a restored instance's schema to head, point its local channel targets into it, and check it."""
    migrate.upgrade(session_factory(app).kw["bind"])
    _move_publication_targets(app, restored.old_instance, restored.instance)
    return check_restored(app)


def _precheck(contents: _Contents, settings: dict, store: QuarantineStore) -> None:
    try:
        check_restorable(contents.database, settings["DATABASE_URL"])
    except SnapshotError as exc:
        raise RestoreRefused(str(exc)) from None
    try:
        present = set(store.keys())
    except QuarantineError as exc:
        raise RestoreRefused(f"the new instance's quarantine cannot be used: {exc}") from None
    clash = present & set(contents.quarantine)
    if clash:
        raise RestoreRefused(f"the new instance's quarantine ({store.describe()}) already holds "
                             f"{len(clash)} of the backup's objects: give the restore its own with --quarantine-url")


def _extract(archive: Path, passphrase: str, folder: Path, settings: dict, store: QuarantineStore,
             written: list[str]) -> None:
    channels = Path(settings["CHANNELS_DIR"])
    with archive.open("rb") as fh:
        for entry in read_entries(fh, passphrase):
            if entry.kind == DATABASE:
                with tempfile.TemporaryDirectory(dir=folder, prefix=".restore-") as scratch:
                    dump = Path(scratch) / "database"
                    with _private_file(dump) as out:
                        for piece in entry.pieces():
                            out.write(piece)
                    restore_snapshot(entry.name, dump, settings["DATABASE_URL"])
            elif entry.kind == QUARANTINE:
                store.write_sealed(entry.name, _PiecesReader(entry.pieces()))
                written.append(entry.name)
            elif entry.kind == CHANNEL:
                target = channels / _safe_channel_name(entry.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    for piece in entry.pieces():
                        out.write(piece)
    for path in [channels, *(p for p in channels.rglob("*") if p.is_dir())] if channels.exists() else []:
        os.chmod(path, 0o755)  # published copies are public by design: a web server reads them
    for path in channels.rglob("*") if channels.exists() else []:
        if path.is_file():
            os.chmod(path, 0o644)


class _PiecesReader:
    """read(n) over an iterator of byte pieces, for stores that copy from a file object."""

    def __init__(self, pieces: Iterator[bytes]):
        self._pieces = pieces
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _undo(folder: Path, existed: bool, store: QuarantineStore | None, written: list[str]) -> None:
    for key in written:
        try:
            store.delete(key)
        except QuarantineError:
            pass  # the error that stopped the restore is the one to report
    if existed:
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _move_publication_targets(app: Flask, old: str, new: str) -> None:
    """Point local channel targets that lay inside the old instance folder into the new one (takedowns use them)."""
    if not old or old == new:
        return
    with session_factory(app).begin() as session:
        for row in [*session.scalars(select(Publication)), *session.scalars(select(Channel))]:
            if row.target:
                moved = _moved(dict(row.target), old, new)
                if moved != row.target:
                    row.target = moved


# ---- checks ----------------------------------------------------------------------------------

@dataclass
class RestoreCheck:
    """What a restored instance was found to hold; ok only when nothing is missing or broken."""

    audit_ok: bool
    audit_events: int
    audit_problem: str
    objects_opened: int
    unopenable: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    publications_checked: int = 0
    missing_publications: list[str] = field(default_factory=list)
    unaccounted_copies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit_ok and not (self.unopenable or self.missing_objects or self.missing_publications
                                      or self.unaccounted_copies)


def check_restored(app: Flask) -> RestoreCheck:
    """Verify the audit chain, open every quarantined object, and match publications to the channel stores."""
    store = quarantine_from_config(app.config)
    with session_factory(app)() as session:
        chain = verify_chain(session)
        expected = set()
        for item in session.scalars(select(MediaItem).where(MediaItem.purged_at.is_(None))):
            expected.add(item.public_id)
            expected.update(store_key(item.public_id, r.sha256) for r in item.renditions)
        live = [(p, session.get(Channel, p.channel_id)) for p in session.scalars(
            select(Publication).where(Publication.state == PublicationState.PUBLISHED))]
        channels = list(session.scalars(select(Channel)))
    report = RestoreCheck(chain.ok, chain.checked, chain.problem, 0)
    present = set(store.keys())
    report.missing_objects = sorted(expected - present)
    for key in sorted(present):
        try:
            for _ in store.open_chunks(key):
                pass
            report.objects_opened += 1
        except Exception as exc:  # noqa: BLE001 - each failure is reported by key, the rest still checked
            report.unopenable.append(f"{key} ({exc.__class__.__name__})")
    published_here: dict[Path, set[str]] = {}
    for publication, channel in live:
        report.publications_checked += 1
        try:
            found = publisher_for(publication.target).exists(publication.object_name)
        except PublisherError as exc:
            found = False
            report.missing_publications.append(f"{channel.slug}: {publication.object_name} ({exc})")
            continue
        if not found:
            report.missing_publications.append(f"{channel.slug}: {publication.object_name}")
        if publication.target.get("kind") == "local":
            published_here.setdefault(Path(publication.target["path"]), set()).add(publication.object_name)
    for channel in channels:
        try:
            target = dict(channel.target) if channel.target else default_target(app.config["CHANNELS_DIR"], channel.slug)
        except PublisherError:
            continue
        if target.get("kind") != "local" or not Path(target["path"]).is_dir():
            continue
        folder = Path(target["path"])
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.name not in published_here.get(folder, set()):
                report.unaccounted_copies.append(f"{channel.slug}: {path.name}")
    return report
