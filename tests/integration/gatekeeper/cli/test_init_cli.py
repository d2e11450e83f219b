"""`gatekeeper init`: keys, database, first Manager with a one-time password, and idempotent."""
from __future__ import annotations

import json

from click.testing import CliRunner

from gatekeeper.cli import main


def test_init_makes_an_instance_with_a_first_manager_and_a_second_init_changes_nothing(tmp_path):
    runner = CliRunner()
    instance = tmp_path / "instance"
    first = runner.invoke(main, ["init", "--instance", str(instance), "--manager-email", "boss@example.org", "--json"])
    assert first.exit_code == 0, first.output
    made = json.loads(first.stdout)
    assert made["keys_created"] and made["manager_email"] == "boss@example.org"
    assert len(made["manager_one_time_password"]) >= 16
    assert (instance / "gatekeeper.db").exists()

    second = runner.invoke(main, ["init", "--instance", str(instance), "--json"])
    assert second.exit_code == 0, second.output
    again = json.loads(second.stdout)
    assert again["manager_one_time_password"] is None and not again["keys_created"]


def test_init_prints_the_one_time_password_for_people(tmp_path):
    result = CliRunner().invoke(main, ["init", "--instance", str(tmp_path / "i")])
    assert result.exit_code == 0
    assert "one-time password" in result.stdout and "first Manager: manager@setting.local" in result.stdout


def test_records_commands_on_an_instance_without_a_database_say_to_run_init(tmp_path):
    from gatekeeper.instance import create_secrets

    create_secrets(tmp_path / "bare")
    result = CliRunner().invoke(main, ["--instance", str(tmp_path / "bare"), "people", "list"])
    assert result.exit_code == 1 and "run 'gatekeeper init" in result.stderr


def test_records_commands_on_a_missing_instance_say_so(tmp_path):
    result = CliRunner().invoke(main, ["--instance", str(tmp_path / "nowhere"), "people", "list"])
    assert result.exit_code == 1 and "not initialised" in result.stderr
