"""The `gatekeeper` group lists every command from its registry and imports each only when it is used."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from gatekeeper.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[4]


def test_help_lists_every_registered_command():
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)

    assert result.exit_code == 0, result.output
    section = result.output.split("Commands:\n")[1].split("\n\n")[0]
    listed = [line.split()[0] for line in section.splitlines()]
    assert listed == [entry.name for entry in COMMANDS]


def test_each_registry_entry_names_a_command_of_that_name_with_the_same_help():
    for entry in COMMANDS:
        command = entry.load()
        assert isinstance(command, click.Command)
        assert command.name == entry.name
        assert command.get_short_help_str(limit=500) == entry.short_help, entry.name


def test_every_command_in_the_cli_modules_is_registered():
    modules = {entry.module for entry in COMMANDS}
    registered = {(entry.module, entry.attribute) for entry in COMMANDS}
    for module_name in modules:
        module = sys.modules[module_name] if module_name in sys.modules else __import__(module_name, fromlist=["x"])
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command) and value.callback.__module__ == module_name \
                    and not _is_subcommand(value, module):
                assert (module_name, attribute) in registered, f"{module_name}.{attribute} is not in COMMANDS"


def _is_subcommand(command: click.Command, module) -> bool:
    return any(isinstance(group, click.Group) and command in group.commands.values()
               for group in vars(module).values())


def test_an_unknown_command_is_refused_by_name():
    result = CliRunner().invoke(main, ["nonsense"])

    assert result.exit_code == 2
    assert "No such command 'nonsense'" in result.output


def test_help_imports_neither_flask_nor_any_command_module():
    probe = ("import sys; from click.testing import CliRunner; from gatekeeper.cli import main;"
             "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output;"
             "heavy = sorted(m for m in sys.modules if m in ('flask', 'sqlalchemy', 'huey', 'cv2', 'av')"
             " or m.startswith('gatekeeper.cli.') or m.startswith('gatekeeper.web'));"
             "print(','.join(heavy))")
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)

    assert found.stdout.strip() == ""


def test_sanitize_does_not_import_the_web_app_or_the_database():
    probe = ("import sys; from click.testing import CliRunner; from gatekeeper.cli import main;"
             "r = CliRunner().invoke(main, ['sanitize', '--help']); assert r.exit_code == 0, r.output;"
             "print(','.join(sorted(m for m in sys.modules if m in ('flask', 'sqlalchemy', 'huey')"
             " or m.startswith('gatekeeper.web'))))")
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)

    assert found.stdout.strip() == ""
