"""`gatekeeper serve` bounds connections, slow clients and bodies; instance files are private from
creation and `doctor` fails when others can read them."""
from __future__ import annotations

import os
import stat

import pytest

from gatekeeper.cli import main


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """Start as a shell would (022), and leave the test process as it was."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def served(gk, monkeypatch):
    import waitress

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


def test_serve_bounds_connections_slow_clients_and_threads_from_the_configuration(gk, served, monkeypatch):
    monkeypatch.setenv("GATEKEEPER_SERVER_CONNECTION_LIMIT", "40")
    monkeypatch.setenv("GATEKEEPER_SERVER_CHANNEL_TIMEOUT", "20")
    result = gk("serve")
    assert result.exit_code == 0, result.output
    (_, options), = served
    assert options["connection_limit"] == 40 and options["channel_timeout"] == 20
    assert options["max_request_header_size"] <= 64 * 1024
    assert options["threads"] >= 1


def test_serve_keeps_chunk_bodies_in_memory_and_caps_every_body_far_below_the_largest_upload(gk, served):
    gk("serve")
    (app, options), = served
    config = app.config
    assert options["inbuf_overflow"] > config["UPLOAD_CHUNK_BYTES"], "a chunk is never spooled to a temp file"
    assert options["inbuf_overflow"] > config["UPLOAD_FORM_MAX_BYTES"]
    largest_route = max(config["UPLOAD_CHUNK_BYTES"], config["UPLOAD_FORM_MAX_BYTES"],
                        config["MAX_REFERENCE_PHOTO_BYTES"], config["MAX_CONTENT_LENGTH"])
    assert largest_route <= options["max_request_body_size"] <= largest_route + 64 * 1024
    assert options["max_request_body_size"] < config["MAX_UPLOAD_BYTES"] // 10
    # In memory at most one chunk-sized body per connection.
    assert options["inbuf_overflow"] * options["connection_limit"] <= 512 * 1024 * 1024


def test_serve_strips_forwarded_headers_unless_a_trusted_proxy_is_configured(gk, served, monkeypatch):
    gk("serve")
    monkeypatch.setenv("GATEKEEPER_TRUSTED_PROXY_HOPS", "1")
    gk("serve")
    assert [options["clear_untrusted_proxy_headers"] for _, options in served] == [True, False]


def test_a_form_route_refuses_a_large_body_before_the_app_reads_it(gk, served):
    gk("serve")
    (app, _), = served
    read = []

    class Body:
        def read(self, *args):
            read.append(args)
            return b""

    statuses = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/signin", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http", "CONTENT_LENGTH": str(50 * 1024 * 1024), "wsgi.input": Body(),
               "CONTENT_TYPE": "application/x-www-form-urlencoded", "REMOTE_ADDR": "192.0.2.1"}
    app.wsgi_app(environ, lambda status, headers, *exc: statuses.append(status))
    assert statuses[0].startswith("413") and read == []


def test_init_makes_the_instance_databases_and_jobs_queue_private(tmp_path, usual_umask):
    from click.testing import CliRunner

    instance = tmp_path / "instance"
    result = CliRunner().invoke(main, ["init", "--instance", str(instance)])
    assert result.exit_code == 0, result.output
    # The instance folder stays passable (not listable) so a web server can reach channels/ inside it.
    assert mode(instance) & 0o066 == 0
    for name in ("gatekeeper.db", "jobs.db", "secrets.json"):
        assert mode(instance / name) == 0o600, name
    for side in instance.glob("*.db-*"):
        assert mode(side) == 0o600, side.name
    assert mode(instance / "quarantine") == 0o700


def test_start_up_makes_files_left_readable_private_again(gk, usual_umask):
    os.chmod(gk.instance / "gatekeeper.db", 0o644)
    os.chmod(gk.instance, 0o755)
    gk("doctor")
    assert mode(gk.instance / "gatekeeper.db") == 0o600 and mode(gk.instance) & 0o066 == 0


def test_doctor_fails_when_others_can_read_the_database(gk, usual_umask):
    from gatekeeper import create_app
    from gatekeeper.doctor import check_private_files

    app = create_app(instance_dir=str(gk.instance))
    assert check_private_files(app).ok
    os.chmod(gk.instance / "gatekeeper.db", 0o644)
    finding = check_private_files(app)
    assert not finding.ok and "gatekeeper.db (mode 644)" in finding.detail


def test_serve_warns_when_it_trusts_proxy_headers_but_listens_beyond_loopback(gk, served, monkeypatch):
    monkeypatch.setenv("GATEKEEPER_TRUSTED_PROXY_HOPS", "1")
    quiet = gk("serve")
    loud = gk("serve", "--host", "0.0.0.0")
    assert "TRUSTED_PROXY_HOPS" not in quiet.stderr
    assert "TRUSTED_PROXY_HOPS is set but the server listens on 0.0.0.0" in loud.stderr
