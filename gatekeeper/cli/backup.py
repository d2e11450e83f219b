"""Commands that back an instance up into an encrypted archive and restore one into a new instance."""
from __future__ import annotations

import os
import sys
from dataclasses import asdict
from pathlib import Path

import click

from consent_db.migrate import head_revision
from gatekeeper.app.backup import BackupError, restore_backup, settle_restored, take_backup
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.instance import InstanceError
from gatekeeper.storage.archive import ArchiveError, check_passphrase
from gatekeeper.storage.base import QuarantineError

# Read here only; the configuration loader leaves it out of the app's settings.
PASSPHRASE_ENV = "GATEKEEPER_BACKUP_PASSPHRASE"

passphrase_file_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
    help=f"Read the passphrase from this file's first line (else ${PASSPHRASE_ENV}, else a prompt).")


def read_passphrase(path: Path | None, *, confirm: bool) -> str:
    """The archive passphrase from a file, the environment or a prompt: never from the command line."""
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the passphrase file {path}: {exc}") from None
        phrase = lines[0] if lines else ""
    elif os.environ.get(PASSPHRASE_ENV):
        phrase = os.environ[PASSPHRASE_ENV]
    elif sys.stdin.isatty():
        phrase = click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)
    else:
        raise CommandError(f"no passphrase: use --passphrase-file FILE or set {PASSPHRASE_ENV}")
    try:
        return check_passphrase(phrase)
    except ArchiveError as exc:
        raise CommandError(str(exc)) from None


@click.command()
@instance_option
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--keep", type=click.IntRange(1, 10_000), default=None,
              help="Afterwards delete all but the newest KEEP backups in FOLDER.")
@passphrase_file_option
@json_option
def backup(instance: str, folder: Path, keep: int | None, passphrase_file: Path | None, as_json: bool) -> None:
    """Write an encrypted archive of the instance into FOLDER while it runs."""
    passphrase = read_passphrase(passphrase_file, confirm=True)
    app = open_app(instance)
    try:
        summary = take_backup(app, folder, passphrase, keep=keep)
    except (BackupError, ArchiveError, QuarantineError, OSError) as exc:
        raise CommandError(f"no backup was written: {exc}") from None

    def human(data) -> str:
        lines = [f"backup written: {data['path']}",
                 f"  database ({data['database']}, schema {data['schema']}), {data['quarantine_objects']} quarantined "
                 f"object(s), {data['channel_files']} published cop(y/ies) in the instance's channel folders"]
        if data["vanished"]:
            lines.append(f"  {len(data['vanished'])} object(s) were deleted by the service during the backup")
        if data["pruned"]:
            lines.append(f"  older backups deleted (--keep {keep}): {', '.join(data['pruned'])}")
        lines.append("keep the passphrase apart from the archive: without it the archive cannot be opened")
        return "\n".join(lines)

    emit(asdict(summary), as_json, human)


@click.command()
@instance_option
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--database-url", default=None,
              help="An empty database for the restored instance (needed when the backup is of PostgreSQL).")
@click.option("--quarantine-url", default=None, help="Where the restored instance keeps its quarantine.")
@click.option("--keep-instance-id", is_flag=True,
              help="Keep the old instance's id (its job queue): only when replacing it, never beside it.")
@passphrase_file_option
@json_option
def restore(instance: str, archive: Path, database_url: str | None, quarantine_url: str | None,
            keep_instance_id: bool, passphrase_file: Path | None, as_json: bool) -> None:
    """Restore ARCHIVE into a new, empty instance folder and check it; exit 1 if the check finds problems."""
    passphrase = read_passphrase(passphrase_file, confirm=False)
    try:
        summary = restore_backup(archive, Path(instance), passphrase, database_url=database_url,
                                 quarantine_url=quarantine_url, keep_instance_id=keep_instance_id)
    except (BackupError, ArchiveError, InstanceError, QuarantineError) as exc:
        raise CommandError(str(exc)) from None
    try:
        check = settle_restored(open_app(instance), summary)
    except QuarantineError as exc:
        raise CommandError(f"restored into {instance}, but it cannot be checked: {exc}") from None
    data = {**asdict(summary), "schema": head_revision(), "check": {**asdict(check), "ok": check.ok}}
    data.pop("old_instance")

    def human(d) -> str:
        c = d["check"]
        lines = [f"restored into {d['instance']} (instance id {d['instance_id']}, schema {d['schema']})",
                 f"audit chain: {'intact, ' + str(c['audit_events']) + ' events' if c['audit_ok'] else 'BROKEN: ' + c['audit_problem']}",
                 f"quarantine: {c['objects_opened']} object(s) opened"]
        lines += [f"  cannot open: {key}" for key in c["unopenable"]]
        lines += [f"  missing (item or rendition without its object): {key}" for key in c["missing_objects"]]
        lines.append(f"publications: {c['publications_checked']} live publication(s) checked")
        lines += [f"  missing from its channel: {line}" for line in c["missing_publications"]]
        lines += [f"  copy on a channel with no live publication: {line}" for line in c["unaccounted_copies"]]
        lines.append("check passed" if c["ok"] else "check FOUND PROBLEMS (listed above)")
        return "\n".join(lines)

    emit(data, as_json, human)
    if not check.ok:
        sys.exit(1)
