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


def public_url_finding(tmp_path, **config):
    from gatekeeper.doctor import check_public_url

    return check_public_url(make_app(tmp_path, **config))


def test_an_unset_public_url_is_a_warning_saying_how_to_set_it(tmp_path):
    finding = public_url_finding(tmp_path, PUBLIC_URL="")
    assert finding.ok and finding.warning and "gatekeeper settings --public-url" in finding.detail


def test_an_http_public_url_with_a_secure_cookie_fails_sign_in_and_doctor_says_so(tmp_path):
    finding = public_url_finding(tmp_path, PUBLIC_URL="http://nursery-box.local:8000", SESSION_COOKIE_SECURE=True)
    assert not finding.ok and "Secure" in finding.detail and "serve --https" in finding.detail


def test_an_http_public_url_while_https_is_served_disagrees(tmp_path):
    finding = public_url_finding(tmp_path, PUBLIC_URL="http://nursery-box.local:8000", HTTPS=True,
                                 SESSION_COOKIE_SECURE=False)
    assert not finding.ok and "serves HTTPS" in finding.detail


def test_an_https_public_url_with_nothing_serving_https_is_a_warning(tmp_path):
    finding = public_url_finding(tmp_path, PUBLIC_URL="https://nursery-box.local:8443", HTTPS=False)
    assert finding.ok and finding.warning and "serve --https" in finding.detail
    behind_proxy = public_url_finding(tmp_path, PUBLIC_URL="https://photos.example.org", TRUSTED_PROXY_HOPS=1)
    assert behind_proxy.ok and not behind_proxy.warning


def test_a_loopback_public_url_warns_that_phones_would_open_themselves(tmp_path):
    finding = public_url_finding(tmp_path, PUBLIC_URL="http://127.0.0.1:8000")
    assert finding.ok and finding.warning and "this machine only" in finding.detail


def test_a_public_url_that_is_not_a_url_fails(tmp_path):
    assert not public_url_finding(tmp_path, PUBLIC_URL="nursery-box.local").ok


def certificate_finding(tmp_path, public_url, at=None):
    from gatekeeper import certificates
    from gatekeeper.doctor import check_https_certificate

    names = certificates.box_names("https://nursery-box.local:8443", hostname="nursery-box", addresses=())
    certificates.create_authority(tmp_path, "Little Acorns", names, at=at)
    certificates.issue_server_certificate(tmp_path, names, at=at)
    return check_https_certificate(make_app(tmp_path, HTTPS=True, PUBLIC_URL=public_url))


def test_the_certificate_check_passes_when_it_covers_the_public_url(tmp_path):
    finding = certificate_finding(tmp_path, "https://nursery-box.local:8443")
    assert finding.ok and not finding.warning and "nursery-box.local" in finding.detail


def test_a_certificate_not_covering_the_public_url_fails(tmp_path):
    finding = certificate_finding(tmp_path, "https://192.168.7.7:8443")
    assert not finding.ok and "does not cover 192.168.7.7" in finding.detail


def test_a_certificate_near_expiry_warns_and_an_expired_one_fails(tmp_path):
    from datetime import datetime, timedelta, timezone

    soon = certificate_finding(tmp_path, "", at=datetime.now(timezone.utc) - timedelta(days=380))
    assert soon.ok and soon.warning and "certificate renew" in soon.detail
    gone = certificate_finding(tmp_path, "", at=datetime.now(timezone.utc) - timedelta(days=400))
    assert not gone.ok and "expired" in gone.detail


def test_a_missing_certificate_fails_only_when_https_is_served(tmp_path):
    from gatekeeper.doctor import check_https_certificate

    assert check_https_certificate(make_app(tmp_path, HTTPS=False)).ok
    missing = check_https_certificate(make_app(tmp_path, HTTPS=True))
    assert not missing.ok and "gatekeeper init" in missing.detail
