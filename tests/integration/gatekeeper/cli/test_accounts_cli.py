"""`gatekeeper accounts reset-password|reset-two-factor EMAIL`: the operator lets someone back in."""
from __future__ import annotations

from sqlalchemy import create_engine, select

from consent_db.models import Account, AuditEvent


def row(gk, email):
    engine = create_engine(f"sqlite:///{gk.instance / 'gatekeeper.db'}")
    try:
        with engine.connect() as conn:
            account = conn.execute(select(Account).where(Account.email == email)).one()
            tags = list(conn.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))
        return account, tags
    finally:
        engine.dispose()


def test_reset_password_prints_a_one_time_password_that_must_be_changed(gk):
    from argon2 import PasswordHasher

    result = gk.json("accounts", "reset-password", " Manager@Setting.local")
    assert result["email"] == "manager@setting.local" and len(result["one_time_password"]) >= 20
    account, tags = row(gk, "manager@setting.local")
    assert PasswordHasher().verify(account.password_hash, result["one_time_password"])
    assert account.must_change_password and tags[-1] == "account:password-reset"


def test_reset_two_factor_forgets_the_key_so_it_is_set_up_again(gk):
    engine = create_engine(f"sqlite:///{gk.instance / 'gatekeeper.db'}")
    with engine.begin() as conn:
        conn.execute(Account.__table__.update().values(totp_secret="sealed-secret", totp_last_step=5))
    engine.dispose()
    result = gk("accounts", "reset-two-factor", "manager@setting.local")
    assert result.exit_code == 0, result.output
    account, tags = row(gk, "manager@setting.local")
    assert account.totp_secret is None and account.totp_last_step is None
    assert tags[-1] == "account:two-factor-reset"


def test_an_unknown_email_is_a_plain_error_and_changes_nothing(gk):
    for command in ("reset-password", "reset-two-factor"):
        result = gk("accounts", command, "nobody@nowhere.test")
        assert result.exit_code == 1 and "no account for nobody@nowhere.test" in result.stderr
