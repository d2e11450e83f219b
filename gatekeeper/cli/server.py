"""Commands that set up, run and check an instance: init, serve, doctor."""
from __future__ import annotations

import logging
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

import click

from consent_db import accounts, migrate, records
from gatekeeper import certificates, lan_server
from gatekeeper import config as config_module
from gatekeeper import doctor as doctor_module
from gatekeeper.app import setting_details
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.app.context import gate_context
from gatekeeper.app.uploads import remove_abandoned as remove_abandoned_uploads
from gatekeeper.config import ConfigError
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


DEFAULT_SETTING_NAME = "Our setting"
DEFAULT_MANAGER_EMAIL = "manager@setting.local"


def _asking() -> bool:
    """Ask for missing details only when a person is at a terminal (never in scripts or CI)."""
    return sys.stdin.isatty()


def _suggested_url() -> str:
    return f"https://{socket.gethostname().split('.')[0].lower()}.local:8443"


def _checked(check, value: str):
    try:
        return check(value)
    except (setting_details.SettingError, accounts.AccountError, records.RecordsError) as exc:
        raise CommandError(str(exc)) from None


def _ask(text: str, default: str | None, check):
    def value_proc(value: str):
        try:
            return check(value)
        except (setting_details.SettingError, accounts.AccountError, records.RecordsError) as exc:
            raise click.UsageError(str(exc)) from None

    return click.prompt(text, default=default, value_proc=value_proc, show_default=bool(default))


def _url_or_none(value: str) -> str | None:
    return setting_details.check_public_url(value) if value.strip() else None


def _check_name(value: str) -> str:
    return records.check_name(value, "the setting's name")


@click.command()
@instance_option
@click.option("--setting-name", default=None,
              help=f"Name of the pre-school this instance serves (default: {DEFAULT_SETTING_NAME!r}).")
@click.option("--manager-email", default=None,
              help=f"Sign-in email of the first Manager account (default: {DEFAULT_MANAGER_EMAIL}).")
@click.option("--public-url", default=None,
              help="Where tablets and parents reach this service, e.g. https://gatekeeper.local:8443.")
@json_option
def init(instance: str, manager_email: str | None, setting_name: str | None, public_url: str | None,
         as_json: bool) -> None:
    """Create or upgrade an instance: keys, database, folders, first Manager."""
    folder = Path(instance)
    fresh = not (folder / "secrets.json").exists()
    # Asked only on a first run at a terminal; scripts get the defaults and are told how to change them.
    asking = fresh and _asking() and not as_json
    if setting_name is not None:
        setting_name = _checked(_check_name, setting_name)
    elif asking:
        setting_name = _ask("Name of the setting (shown on every page and invitation)", DEFAULT_SETTING_NAME,
                            _check_name)
    if manager_email is not None:
        manager_email = _checked(accounts.normalise_email, manager_email)
    elif asking:
        manager_email = _ask("The Manager's sign-in email", DEFAULT_MANAGER_EMAIL, accounts.normalise_email)
    if public_url is not None:
        public_url = _checked(setting_details.check_public_url, public_url)
    elif asking:
        public_url = _ask(f"Public URL where tablets and parents reach this box, e.g. {_suggested_url()} "
                          "(Enter: none for now)", "", _url_or_none)
    made_keys = create_secrets(folder)
    if public_url is not None:
        try:
            config_module.set_in_file(folder, "public_url", public_url)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
    app = open_app(instance)
    engine = session_factory(app).kw["bind"]
    upgrading = migrate.current_revision(engine) is not None
    # An instance from before ids keeps the queue name its waiting jobs are under.
    instance_id = write_instance_id(folder, LEGACY_INSTANCE_ID if upgrading else None)
    migrate.upgrade(engine)
    doctor_module.ensure_folders(app)
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name=setting_name or DEFAULT_SETTING_NAME)
        password = accounts.create_first_manager(session, email=manager_email or DEFAULT_MANAGER_EMAIL,
                                                 setting_id=setting.id)
        name = setting.name
    effective_url = app.config["PUBLIC_URL"]
    names = certificates.box_names(effective_url)
    made_authority = certificates.create_authority(folder, name, names)
    cert_path, _ = certificates.server_files(folder)
    notes = []
    try:
        current = certificates.read_certificate(cert_path)
        host = certificates.url_host(effective_url)
        if host and not current.covers(host):
            current = certificates.issue_server_certificate(folder, names)
    except certificates.CertificateError:
        try:
            current = certificates.issue_server_certificate(folder, names)
        except certificates.CertificateError as exc:
            current = None
            notes.append(f"warning: no HTTPS certificate: {exc}")
    if not fresh and (setting_name not in (None, name)):
        notes.append(f"the setting is already called {name!r}: rename it with 'gatekeeper settings --name'")
    if not effective_url:
        notes.append("no public URL is set: invitation links and their QR codes cannot be made; set it with "
                     f"'gatekeeper settings --public-url {_suggested_url()}'")
    result = {
        "instance": str(folder),
        "keys_created": made_keys,
        "schema": migrate.head_revision(),
        "instance_id": instance_id,
        "setting_name": name,
        "public_url": effective_url or None,
        "manager_email": (manager_email or DEFAULT_MANAGER_EMAIL) if password else None,
        "manager_one_time_password": password,
        "certificate_names": [*current.dns, *map(str, current.addresses)] if current else [],
        "authority_created": made_authority,
        "notes": notes,
    }

    def human(data) -> str:
        lines = [f"instance ready at {data['instance']} (schema {data['schema']}, id {data['instance_id']})",
                 f"setting: {name}; public URL: {effective_url or '(not set)'}"]
        if password:
            lines.append(f"first Manager: {data['manager_email']}")
            lines.append(f"one-time password (shown once, change it at first sign-in): {password}")
        else:
            lines.append("a Manager account already exists; no new password was made")
        if current is not None:
            lines.append(f"HTTPS certificate for {', '.join(data['certificate_names'])} "
                         "('gatekeeper serve --https' uses it)")
        lines += notes
        if fresh:
            lines.append("change the name, the Manager's email or the public URL later with 'gatekeeper settings'")
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


def _server_certificate(app) -> tuple[Path, Path]:
    """The server certificate, made or renewed first when missing, near expiry or not covering PUBLIC_URL."""
    folder = Path(app.config["INSTANCE_PATH"])
    cert_path, key_path = certificates.server_files(folder)
    host = certificates.url_host(app.config["PUBLIC_URL"])
    try:
        current = certificates.read_certificate(cert_path)
        stale = certificates.needs_renewal(current) or bool(host and not current.covers(host))
    except certificates.CertificateError:
        stale = True
    if stale:
        names = certificates.box_names(app.config["PUBLIC_URL"])
        with transaction(app) as session:
            name = records.default_setting(session).name
        certificates.create_authority(folder, name, names)
        try:
            made = certificates.issue_server_certificate(folder, names)
        except certificates.CertificateError as exc:
            raise CommandError(str(exc)) from None
        click.echo(f"HTTPS certificate issued for {', '.join([*made.dns, *map(str, made.addresses)])}", err=True)
    return cert_path, key_path


def _serve_https(app, host: str, port: int, https_port: int) -> None:
    """HTTPS on host:https_port through the TLS front; plain HTTP on host:port sends browsers to it."""
    import waitress

    cert_path, key_path = _server_certificate(app)
    try:
        context = lan_server.server_context(cert_path, key_path)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot use the HTTPS certificate {cert_path}: {exc}") from None
    options = waitress_options(app.config)
    front = lan_server.TlsFront(context, 0, connection_limit=options["connection_limit"])
    # Only the front connects here; waitress never listens on the network itself.
    backend = waitress.create_server(lan_server.through_front(app, front), host="127.0.0.1", port=0, **options)
    front.backend_port = backend.effective_port
    try:
        https_port = front.start(host, https_port)
        plain = waitress.create_server(lan_server.redirect_to_https(app, https_port, app.config["PUBLIC_URL"]),
                                       host=host, port=port, threads=2,
                                       # A redirect reads no body: refuse any before it is stored.
                                       max_request_body_size=64 * 1024,
                                       connection_limit=options["connection_limit"],
                                       channel_timeout=options["channel_timeout"])
    except OSError as exc:
        front.stop()
        raise CommandError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    app.config.update(PORT=plain.effective_port, HTTPS_PORT=https_port)
    threading.Thread(target=plain.run, name="gatekeeper-http-redirect", daemon=True).start()
    click.echo(f"Photo Gatekeeper on https://{host}:{https_port}/ (plain http://{host}:{plain.effective_port}/ "
               f"sends browsers to HTTPS and offers the certificate authority at /trust) "
               f"(instance {app.config['INSTANCE_PATH']})")
    try:
        backend.run()
    finally:
        front.stop()
        plain.close()


@click.command()
@instance_option
@click.option("--host", default=None,
              help="Address to listen on (default 127.0.0.1; with --https, HTTPS_HOST: 0.0.0.0).")
@click.option("--port", default=None, type=int,
              help="Port to listen on (default 8000; with --https, the plain-HTTP port that redirects).")
@click.option("--https/--no-https", "https", default=None,
              help="Serve HTTPS to the setting's network with the instance's certificate (default: HTTPS in config).")
@click.option("--https-port", default=None, type=int, help="HTTPS port with --https (default 8443).")
def serve(instance: str, host: str | None, port: int | None, https: bool | None, https_port: int | None) -> None:
    """Run the service with waitress."""
    import waitress

    app = open_app(instance)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    https = bool(app.config["HTTPS"]) if https is None else https
    app.config["HTTPS"] = https
    host = host or (app.config["HTTPS_HOST"] if https else app.config["HOST"])
    port = int(app.config["PORT"]) if port is None else port
    https_port = int(app.config["HTTPS_PORT"]) if https_port is None else https_port
    app.config.update(PORT=port, HTTPS_PORT=https_port)
    findings = doctor_module.run_checks(app)
    for finding in findings:
        if not finding.ok or finding.warning:
            click.echo(f"warning: {finding.name}: {finding.detail}", err=True)
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
    try:
        if https:
            _serve_https(app, host, port, https_port)
        else:
            click.echo(f"Photo Gatekeeper on http://{host}:{port}/ (instance {instance})")
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
    data = [{"check": f.name, "ok": f.ok, "warning": f.warning, "detail": f.detail} for f in findings]
    emit(data, as_json, lambda rows: "\n".join(
        f"{('WARN' if r['warning'] else 'ok  ') if r['ok'] else 'FAIL'} {r['check']}: {r['detail']}" for r in rows))
    if not all(f.ok for f in findings):
        sys.exit(1)
