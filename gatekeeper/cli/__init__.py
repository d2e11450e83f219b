"""The `gatekeeper` command: one group, each area's commands in a module of its own, imported on first use.

`gatekeeper --help` and `gatekeeper sanitize` must not pay for the web app, the database layer and
the face engine (about a second of imports), so the group knows each command by name, module and
one-line help, and imports the module only when the command runs (or its own --help is asked for).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives and its one-line help (kept equal to the command's own by a test)."""

    name: str
    module: str
    attribute: str
    short_help: str

    def load(self) -> click.Command:
        return getattr(importlib.import_module(self.module), self.attribute)


COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("init", "gatekeeper.cli.server", "init",
                "Create or upgrade an instance: keys, database, folders, first Manager."),
    LazyCommand("serve", "gatekeeper.cli.server", "serve", "Run the service with waitress."),
    LazyCommand("doctor", "gatekeeper.cli.server", "doctor",
                "Check the database, migrations, models, storage and channels; exit 1 if anything is wrong."),
    LazyCommand("settings", "gatekeeper.cli.settings", "settings",
                "Show the setting's name, Manager's email, public URL and whether HTTPS is served, or change them."),
    LazyCommand("certificate", "gatekeeper.cli.settings", "certificate",
                "The HTTPS certificate for tablets on the setting's network, and the authority they trust."),
    LazyCommand("worker", "gatekeeper.cli.server", "worker",
                "Run background jobs from the configured queue until stopped."),
    LazyCommand("rotate-key", "gatekeeper.cli.storage", "rotate_key",
                "Replace the instance data key and re-wrap every quarantined item under it."),
    LazyCommand("backup", "gatekeeper.cli.backup", "backup",
                "Write an encrypted archive of the instance into FOLDER while it runs."),
    LazyCommand("restore", "gatekeeper.cli.backup", "restore",
                "Restore ARCHIVE into a new, empty instance folder and check it; exit 1 if the check finds problems."),
    LazyCommand("scan", "gatekeeper.cli.faces", "scan",
                "Find the faces in FILES and say who they are; writes nothing."),
    LazyCommand("enroll", "gatekeeper.cli.faces", "enroll",
                "Enrol PERSON for face matching from 1-5 reference PHOTOS (only with face-matching consent)."),
    LazyCommand("check", "gatekeeper.cli.faces", "check",
                "The gate's verdict for FILE on a channel now; writes nothing."),
    LazyCommand("ingest", "gatekeeper.cli.gate", "ingest",
                "Sanitise, analyse and queue FILES; exits 2 when any file was refused (the rest are kept)."),
    LazyCommand("queue", "gatekeeper.cli.gate", "queue", "The publication queue."),
    LazyCommand("identify", "gatekeeper.cli.gate", "identify",
                "Say that FACE (numbered from 1) of ITEM is PERSON; that person's consent then decides."),
    LazyCommand("not-a-person", "gatekeeper.cli.gate", "not_a_person",
                "Mark FACE of ITEM as no real person (a poster, a doll, a photo on the wall)."),
    LazyCommand("redact", "gatekeeper.cli.gate", "redact",
                "Cover FACES of a photo for good; the result is analysed again."),
    LazyCommand("approve", "gatekeeper.cli.gate", "approve",
                "Approve ITEM for channels where it is cleared, and publish it there."),
    LazyCommand("reject", "gatekeeper.cli.gate", "reject",
                "Reject ITEM: off every channel, and its quarantined copy deleted at once."),
    LazyCommand("takedown", "gatekeeper.cli.gate", "takedown", "Take ITEM off a channel, or off every channel."),
    LazyCommand("purge", "gatekeeper.cli.gate", "purge",
                "Apply retention now: rejected items, old unpublished items, old quarantine copies."),
    LazyCommand("sanitize", "gatekeeper.cli.media", "sanitize",
                "Write a clean copy of each FILE into DIR; exit 2 if any was refused."),
    LazyCommand("people", "gatekeeper.cli.records", "people", "Children and staff."),
    LazyCommand("guardians", "gatekeeper.cli.records", "guardians",
                "Parents and carers, and who holds parental responsibility."),
    LazyCommand("channels", "gatekeeper.cli.channels", "channels", "The setting's official channels."),
    LazyCommand("consent", "gatekeeper.cli.records", "consent", "Consent decisions and what is in force."),
    LazyCommand("audit", "gatekeeper.cli.audit", "audit", "The append-only, hash-chained audit log."),
    LazyCommand("accounts", "gatekeeper.cli.accounts", "accounts",
                "Reset an account's password or two-factor sign-in."),
)
_BY_NAME = {command.name: command for command in COMMANDS}


class LazyGroup(click.Group):
    """A group whose commands are imported when used; the list and its help come from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_BY_NAME)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = _BY_NAME.get(name)
        return entry.load() if entry is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Click would import every command to ask for its help line; the registry already has it.
        limit = formatter.width - 6 - max(len(name) for name in _BY_NAME)
        rows = [(entry.name, _shorten(entry.short_help, limit)) for entry in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 3, 1)].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "..."


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Commands that change items (ingest, identify, redact, approve, reject, takedown, purge, "
                    "consent set) run the jobs they cause in their own process and print the outcome; "
                    "they do not use the service's job queue. Stop the service before rotate-key.")
@click.option(
    "--instance",
    type=click.Path(file_okay=False),
    envvar="GATEKEEPER_INSTANCE",
    default=None,
    help="Instance folder (default: $GATEKEEPER_INSTANCE or ./instance).",
)
def main(instance: str | None) -> None:
    """Photo Gatekeeper: metadata stripping, face checks, consent-gated publishing."""
