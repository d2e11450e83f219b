"""An operator at the command line, and an instance filled with the records every kind of check needs."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from consent_db.models import AuditEvent, ConsentDecision, MediaItem, Person, Publication
from gatekeeper.cli import main

PASSPHRASE = "a long passphrase the operator keeps"
# Cheap key derivation for tests (each archive records its own cost; real backups use the default).
CHEAP = {"GATEKEEPER_BACKUP_PASSPHRASE": PASSPHRASE, "GATEKEEPER_BACKUP_SCRYPT_LOG2_N": "10"}


class Operator:
    """Runs `gatekeeper --instance DIR ...` in-process with the given environment."""

    def __init__(self, instance: Path, env: dict[str, str] | None = None):
        self.instance = instance
        self.env = {**CHEAP, **(env or {})}

    def __call__(self, *args, code: int = 0, env: dict | None = None):
        result = CliRunner().invoke(main, ["--instance", str(self.instance), *map(str, args)],
                                    env={**self.env, **(env or {})})
        assert result.exit_code == code, result.output
        return result

    def json(self, *args, code: int = 0):
        return json.loads(self(*args, "--json", code=code).stdout)

    @property
    def database_url(self) -> str:
        return self.env.get("GATEKEEPER_DATABASE_URL") or f"sqlite:///{self.instance / 'gatekeeper.db'}"


def counts(url: str) -> dict[str, int]:
    """Rows of the tables that must survive a backup or an upgrade."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                    for model in (Person, ConsentDecision, MediaItem, Publication, AuditEvent)}
    finally:
        engine.dispose()


def with_data(op: Operator, faces: Path) -> dict:
    """init, then a child whose guardian consented to a channel, one item published there and one held."""
    op("init")
    child = op.json("people", "add", "--kind", "child", "--first-name", "Ada", "--surname", "Lovelace")["id"]
    guardian = op.json("guardians", "add", "--name", "Anne", "--email", "anne@example.org", "--child", child)["id"]
    staff = op.json("people", "add", "--kind", "staff", "--first-name", "Sam", "--surname", "Lee")["id"]
    op("channels", "add", "website", "--name", "Website", "--description", "Our website")
    op("consent", "set", child, "website", "grant", "--by", guardian)
    [row] = op.json("ingest", "--by", staff, faces / "negatives/skimage_coffee.png")
    op("approve", row["item"], "--channel", "website")
    [held] = op.json("ingest", "--by", staff, faces / "identities/tom_hanks/insight_Tom_Hanks_54745.png")
    return {"item": row["item"], "held": held["item"], "staff": staff, "child": child, "guardian": guardian}
