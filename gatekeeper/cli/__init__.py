"""The `gatekeeper` command: one group, each area's commands in a module of its own."""
from __future__ import annotations

import click

from gatekeeper.cli import accounts, audit, faces, gate, media, records, server, storage

COMMANDS = (
    server.init,
    server.serve,
    server.doctor,
    server.worker,
    storage.rotate_key,
    faces.scan,
    faces.enroll,
    faces.check,
    gate.ingest,
    gate.queue,
    gate.identify,
    gate.not_a_person,
    gate.redact,
    gate.approve,
    gate.reject,
    gate.takedown,
    gate.purge,
    media.sanitize,
    records.people,
    records.guardians,
    records.channels,
    records.consent,
    audit.audit,
    accounts.accounts,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--instance",
    type=click.Path(file_okay=False),
    envvar="GATEKEEPER_INSTANCE",
    default=None,
    help="Instance folder (default: $GATEKEEPER_INSTANCE or ./instance).",
)
def main(instance: str | None) -> None:
    """Photo Gatekeeper: metadata stripping, face checks, consent-gated publishing."""


for _command in COMMANDS:
    main.add_command(_command)
