"""Photo Gatekeeper: strips metadata, checks every face against consent, publishes only when allowed."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None, instance_dir: str | None = None) -> "Flask":
    """Build the app for an instance folder; raises ConfigError or InstanceError when unusable."""
    # Imported here, not at the top: every `gatekeeper` command and every room below the web
    # imports this package, and most of them never build the web app (`gatekeeper --help`,
    # `gatekeeper sanitize`); the web app and its dependencies cost about a second to import.
    from flask import Flask

    from gatekeeper import config as config_module
    from gatekeeper import database, instance, web
    from gatekeeper.app import context as app_context
    from gatekeeper.jobs import runner as jobs_runner
    from gatekeeper.jobs.tasks import TASKS

    # Every gatekeeper process (serve, gunicorn workers, worker, commands) builds the app: from here on
    # what it creates (databases, WAL files, quarantine) is private, and what exists is made so.
    instance.private_umask()
    settings = config_module.load(instance_dir or (config or {}).get("INSTANCE_PATH"), overrides=config)
    folder = Path(settings["INSTANCE_PATH"])
    if "SECRET_KEY" not in settings or "DATA_KEY" not in settings:
        keys = instance.load_secrets(folder)
        settings.setdefault("SECRET_KEY", keys.secret_key)
        settings.setdefault("DATA_KEY", keys.data_key)
        settings.setdefault("DATA_KEY_PENDING", keys.pending_data_key)

    if not settings.get("INSTANCE_ID"):
        settings["INSTANCE_ID"] = instance.read_instance_id(folder) or instance.LEGACY_INSTANCE_ID
    settings["INSTANCE_ID"] = instance.check_instance_id(settings["INSTANCE_ID"])

    app = Flask(
        __name__,
        instance_path=str(folder),
        static_folder=settings["STATIC_DIR"],
        static_url_path="/static",
    )
    app.config.update(settings)
    database.init_app(app)
    instance.make_private(app.config)
    jobs = jobs_runner.init_app(app, TASKS)
    app_context.init_app(app, enqueue=jobs.enqueue)
    web.init_app(app)
    return app
