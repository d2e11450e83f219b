"""Commands for the quarantine store: rotate-key."""
from __future__ import annotations

from dataclasses import asdict

import click

from gatekeeper.instance import InstanceError
from gatekeeper.storage.base import QuarantineError
from gatekeeper.app.key_rotation import rotate_instance_key
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.storage.rotation import RotationError


@click.command("rotate-key")
@instance_option
@json_option
def rotate_key(instance: str, as_json: bool) -> None:
    """Replace the instance data key and re-wrap every quarantined item under it.

    Stop the service and workers first. Safe to run again after a crash or a failure: it
    resumes with the same new key, and the old key is kept until every item was re-wrapped.
    """
    app = open_app(instance)
    try:
        result = rotate_instance_key(app)
    except (RotationError, QuarantineError, InstanceError) as exc:
        raise CommandError(str(exc)) from None

    def human(data) -> str:
        lines = [f"instance key rotated: {data['old_key_id']} -> {data['new_key_id']}"
                 + (" (resumed an unfinished rotation)" if data["resumed"] else "")]
        lines.extend(data["steps"])
        return "\n".join(lines)

    emit(asdict(result), as_json, human)
