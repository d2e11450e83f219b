"""Commands that set up, run and check an instance: init, serve, doctor."""
from __future__ import annotations

import logging
import signal
import sys
import tempfile
from pathlib import Path

import click

from consent_db import migrate
from gatekeeper import doctor as doctor_module
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.app.context import gate_context
from gatekeeper.app.uploads import remove_abandoned as remove_abandoned_uploads
from gatekeeper.database import session_factory, transaction
from gatekeeper.instance import LEGACY_INSTANCE_ID, create_secrets, write_instance_id
from gatekeeper.jobs.priority import lower_priority
from gatekeeper.jobs.runner import (
    SHUTDOWN_GRACE_S,
    jobs_of,
    run_worker,
    start_embedded_consumer,
    stop_embedded_consumer,
)
from gatekeeper.jobs.tasks import recover_after_crashes
from gatekeeper.storage.workdirs import clean_work_root, process_work_dir

log = logging.getLogger("gatekeeper.startup")


def _recover(app) -> None:
    """What a killed process left: plaintext in the work folder, analyses no job will finish."""
    if jobs_of(app).huey.immediate:
        # Jobs run inside requests here; only the work folder can hold leftovers.
        clean_work_root(Path(app.config["QUARANTINE_DIR"]) / ".work")
        remove_abandoned_uploads(gate_context(app))
        return
    try:
        found = recover_after_crashes(app)
    except Exception:  # noqa: BLE001 - doctor's findings say why; serving must still start
        log.exception("start-up recovery failed; the minute sweep will try again")
        return
    if found.removed or found.requeued:
        log.warning("start-up recovery: %d work folder entries removed, analysis queued again for %d item(s)",
                    len(found.removed), len(found.requeued))


def _stop_on_sigterm(signum, frame) -> None:
    # waitress ends serve() on SystemExit, so the finally below stops the job consumer gracefully.
    raise SystemExit(0)


@click.command()
@instance_option
@click.option("--manager-email", default="manager@setting.local", show_default=True,
              help="Sign-in email of the first Manager account.")
@click.option("--setting-name", default="Our setting", show_default=True,
              help="Name of the pre-school this instance serves.")
@json_option
def init(instance: str, manager_email: str, setting_name: str, as_json: bool) -> None:
    """Create or upgrade an instance: keys, database, folders, first Manager."""
    from consent_db import accounts, records

    folder = Path(instance)
    made_keys = create_secrets(folder)
    app = open_app(instance)
    engine = session_factory(app).kw["bind"]
    upgrading = migrate.current_revision(engine) is not None
    # An instance from before ids keeps the queue name its waiting jobs are under.
    instance_id = write_instance_id(folder, LEGACY_INSTANCE_ID if upgrading else None)
    migrate.upgrade(engine)
    doctor_module.ensure_folders(app)
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name=setting_name)
        password = accounts.create_first_manager(session, email=manager_email, setting_id=setting.id)
    result = {
        "instance": str(folder),
        "keys_created": made_keys,
        "schema": migrate.head_revision(),
        "instance_id": instance_id,
        "manager_email": manager_email if password else None,
        "manager_one_time_password": password,
    }

    def human(data) -> str:
        lines = [f"instance ready at {data['instance']} (schema {data['schema']}, id {data['instance_id']})"]
        if password:
            lines.append(f"first Manager: {manager_email}")
            lines.append(f"one-time password (shown once, change it at first sign-in): {password}")
        else:
            lines.append("a Manager account already exists; no new password was made")
        return "\n".join(lines)

    emit(result, as_json, human)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


# Room for multipart framing and headers around a body of the configured size.
BODY_SLACK = 64 * 1024


def waitress_options(config) -> dict:
    """waitress settings from the configuration: bounded connections, slow clients dropped, bodies capped.

    waitress reads a whole body before the app sees the request, so its cap is the largest body any
    route takes: a chunk of a chunked upload, the no-JavaScript upload form, a reference photo, a form
    post. Nothing can send a larger one (it is refused with 413 from its Content-Length, unread). Bodies
    up to a chunk or the upload form's size stay in memory (at most connection_limit of them), never in
    an unencrypted temporary file; the app's middleware then holds each route to its own limit.
    """
    hops = int(config["TRUSTED_PROXY_HOPS"])
    in_memory = max(int(config["UPLOAD_CHUNK_BYTES"]), int(config["UPLOAD_FORM_MAX_BYTES"]),
                    int(config["MAX_CONTENT_LENGTH"])) + BODY_SLACK
    return {
        "max_request_body_size": max(in_memory, int(config["MAX_REFERENCE_PHOTO_BYTES"]) + BODY_SLACK),
        # waitress spools a body larger than this to a temporary file: chunks and upload forms never are.
        "inbuf_overflow": in_memory + 1,
        "max_request_header_size": 64 * 1024,
        "connection_limit": int(config["SERVER_CONNECTION_LIMIT"]),
        "channel_timeout": int(config["SERVER_CHANNEL_TIMEOUT"]),
        "threads": int(config["SERVER_THREADS"]),
        # Behind our own proxies the app reads X-Forwarded-* (ProxyFix, TRUSTED_PROXY_HOPS deep), so
        # waitress must pass them on; with no proxy configured waitress removes them.
        "clear_untrusted_proxy_headers": hops == 0,
    }


def _private_spool(app) -> None:
    """Anything waitress still spools (a reference photo over the in-memory size) goes to this
    process's private work folder (0700, removed after a crash), never the shared system temp."""
    tempfile.tempdir = str(process_work_dir(Path(app.config["QUARANTINE_DIR"]) / ".work"))


@click.command()
@instance_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 8000).")
def serve(instance: str, host: str | None, port: int | None) -> None:
    """Run the service with waitress."""
    import waitress

    app = open_app(instance)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    findings = doctor_module.run_checks(app)
    for finding in findings:
        if not finding.ok:
            click.echo(f"warning: {finding.name}: {finding.detail}", err=True)
    host = host or app.config["HOST"]
    port = port or int(app.config["PORT"])
    _recover(app)
    _private_spool(app)
    if int(app.config["TRUSTED_PROXY_HOPS"]) and host not in LOOPBACK:
        click.echo(f"warning: TRUSTED_PROXY_HOPS is set but the server listens on {host}: a client reaching it "
                   "directly can choose the address the sign-in throttle counts; listen on 127.0.0.1 behind the proxy",
                   err=True)
    consumer = None
    if app.config["JOBS_URL"].startswith("sqlite:"):
        # The embedded default: no separate worker to run.
        consumer = start_embedded_consumer(jobs_of(app))
    else:
        click.echo("jobs go to an external queue: run 'gatekeeper worker' beside this server", err=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    click.echo(f"Photo Gatekeeper on http://{host}:{port}/ (instance {instance})")
    try:
        waitress.serve(app, host=host, port=port, **waitress_options(app.config))
    finally:
        if consumer is not None:
            stop_embedded_consumer(consumer)


@click.command()
@instance_option
@click.option("--workers", default=2, show_default=True, help="Job threads in this process.")
@click.option("--nice", "niceness", default=10, show_default=True, type=click.IntRange(0, 19),
              help="Lower this process's CPU priority by this much (0 keeps it).")
@click.option("--grace", default=SHUTDOWN_GRACE_S, show_default=True, type=click.FloatRange(0, 3600),
              help="On SIGTERM, seconds running jobs may take to finish before they are queued again.")
def worker(instance: str, workers: int, niceness: int, grace: float) -> None:
    """Run background jobs from the configured queue until stopped."""
    app = open_app(instance)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs = jobs_of(app)
    if jobs.huey.immediate:
        raise CommandError("JOBS_URL is memory://: jobs run inside each request, there is nothing for a worker to do")
    # Analysis can wait a second; a practitioner holding a tablet should not. Where a worker shares
    # cores with the web server, accepting uploads comes first.
    logging.getLogger("gatekeeper.worker").info(lower_priority(niceness))
    _recover(app)
    run_worker(jobs, workers, grace_s=grace)


@click.command()
@instance_option
@json_option
def doctor(instance: str, as_json: bool) -> None:
    """Check the database, migrations, models, storage and channels; exit 1 if anything is wrong."""
    app = open_app(instance)
    findings = doctor_module.run_checks(app)
    data = [{"check": f.name, "ok": f.ok, "detail": f.detail} for f in findings]
    emit(data, as_json, lambda rows: "\n".join(
        f"{'ok  ' if r['ok'] else 'FAIL'} {r['check']}: {r['detail']}" for r in rows))
    if not all(f.ok for f in findings):
        sys.exit(1)
