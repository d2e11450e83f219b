"""An initialised instance and a runner for the `gatekeeper` command."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from consent_db.models import Base


class Gatekeeper:
    """Runs `gatekeeper ... --instance DIR` in-process."""

    def __init__(self, instance):
        self.instance = instance
        self.runner = CliRunner()

    def __call__(self, *args: str):
        from gatekeeper.cli import main

        return self.runner.invoke(main, ["--instance", str(self.instance), *args], catch_exceptions=False)

    def json(self, *args: str):
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def counts(self) -> dict[str, int]:
        engine = create_engine(f"sqlite:///{self.instance / 'gatekeeper.db'}")
        try:
            with engine.connect() as connection:
                return {t.name: connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        finally:
            engine.dispose()


@pytest.fixture
def gk(tmp_path) -> Gatekeeper:
    runner = Gatekeeper(tmp_path / "instance")
    result = runner("init")
    assert result.exit_code == 0, result.output
    return runner
