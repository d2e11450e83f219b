"""`doctor`'s records check: a setting, an enabled Manager, and an audit head that matches its last row."""
from __future__ import annotations

from sqlalchemy import text

from consent_db import accounts, records
from gatekeeper.database import transaction
from gatekeeper.doctor import check_records


def test_a_fresh_database_has_no_setting_yet(app):
    finding = check_records(app)
    assert not finding.ok and "gatekeeper init" in finding.detail


def test_an_initialised_database_passes(app):
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name="Acorns")
        accounts.create_first_manager(session, email="boss@example.org", setting_id=setting.id)
    finding = check_records(app)
    assert finding.ok and "1 Manager" in finding.detail


def test_a_setting_whose_managers_are_all_disabled_fails(app):
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name="Acorns")
        accounts.create_first_manager(session, email="boss@example.org", setting_id=setting.id)
        session.execute(text("UPDATE accounts SET disabled = true"))
    assert "no enabled Manager" in check_records(app).detail


def test_a_cut_audit_log_fails(app):
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name="Acorns")
        accounts.create_first_manager(session, email="boss@example.org", setting_id=setting.id)
        session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    finding = check_records(app)
    assert not finding.ok and "audit log" in finding.detail


def test_an_unmigrated_database_fails_without_crashing(instance_dir):
    from gatekeeper import create_app

    from gatekeeper.database import session_factory

    app = create_app({"TESTING": True}, instance_dir=str(instance_dir))
    finding = check_records(app)
    session_factory(app).kw["bind"].dispose()
    assert not finding.ok and "cannot read" in finding.detail
