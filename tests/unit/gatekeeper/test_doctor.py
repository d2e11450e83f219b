"""doctor: each check says what it found; a crashing check is reported, never hidden."""
from __future__ import annotations

from gatekeeper import create_app
from gatekeeper.doctor import Finding, _redact_url, _writable_folder, check_database, run_checks

KEYS = {"SECRET_KEY": "test", "DATA_KEY": b"k" * 32}


def make_app(tmp_path, **extra):
    return create_app({**KEYS, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", **extra},
                      instance_dir=str(tmp_path))


def test_a_crashing_check_is_reported_as_failed(tmp_path):
    def explodes(app):
        raise RuntimeError("boom")

    findings = run_checks(make_app(tmp_path), checks=(explodes,))
    assert findings == [Finding("explodes", False, "crashed: RuntimeError('boom')")]


def test_a_database_url_is_printed_without_its_password():
    printed = _redact_url("postgresql+psycopg://gk:s3cret@127.0.0.1:5432/gk")
    assert "s3cret" not in printed
    assert printed.endswith("@127.0.0.1:5432/gk")


def test_the_database_check_passes_on_a_reachable_database(tmp_path):
    finding = check_database(make_app(tmp_path))
    assert finding.ok
    assert "db.sqlite" in finding.detail


def test_a_missing_folder_is_reported_with_the_fix(tmp_path):
    app = make_app(tmp_path, QUARANTINE_DIR=str(tmp_path / "nowhere"))
    finding = _writable_folder("quarantine", "QUARANTINE_DIR")(app)
    assert not finding.ok
    assert "gatekeeper init" in finding.detail


def test_a_present_folder_passes(tmp_path):
    (tmp_path / "q").mkdir()
    app = make_app(tmp_path, QUARANTINE_DIR=str(tmp_path / "q"))
    assert _writable_folder("quarantine", "QUARANTINE_DIR")(app).ok


def test_a_missing_static_folder_is_reported_with_the_setting_to_fix(tmp_path):
    from gatekeeper.doctor import check_static

    assert check_static(make_app(tmp_path)).ok, "the source tree's static/ is found by default"
    finding = check_static(make_app(tmp_path, STATIC_DIR=str(tmp_path / "nowhere")))
    assert not finding.ok and "GATEKEEPER_STATIC_DIR" in finding.detail
