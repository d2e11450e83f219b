"""Shared pieces of the command line: the instance option, JSON output, clear errors."""
from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Callable

import click

from gatekeeper import config as config_module
from gatekeeper.config import ConfigError
from gatekeeper.instance import InstanceError

if TYPE_CHECKING:
    from flask import Flask


class CommandError(click.ClickException):
    """A plain-sentence error; the command exits 1 and has changed nothing."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def resolve_instance(value: str | None) -> str:
    """--instance on the command, else on the group, else $GATEKEEPER_INSTANCE, else ./instance."""
    if value:
        return str(config_module.instance_path(value))
    ctx = click.get_current_context(silent=True)
    root_value = ctx.find_root().params.get("instance") if ctx else None
    return str(config_module.instance_path(root_value))


def instance_option(func: Callable) -> Callable:
    """Add --instance DIR to a command; passes `instance` as a resolved path string."""

    @click.option(
        "--instance",
        "instance",
        type=click.Path(file_okay=False),
        default=None,
        help="Instance folder (default: $GATEKEEPER_INSTANCE or ./instance).",
    )
    @functools.wraps(func)
    def wrapper(*args, instance: str | None = None, **kwargs):
        return func(*args, instance=resolve_instance(instance), **kwargs)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def open_app(instance: str, **overrides: Any) -> "Flask":
    """The app for an instance; a missing or broken instance becomes a CommandError."""
    from gatekeeper import create_app

    try:
        return create_app(overrides or None, instance_dir=instance)
    except (ConfigError, InstanceError) as exc:
        raise CommandError(str(exc)) from None


def emit(data: Any, as_json: bool, human: Callable[[Any], str] | str | None = None) -> None:
    """Print data as JSON, or as the human text made from it."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
        return
    if human is None:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    elif callable(human):
        click.echo(human(data))
    else:
        click.echo(human)
