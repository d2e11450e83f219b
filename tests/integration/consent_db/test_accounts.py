"""Accounts: Argon2id passwords, roles linked to the right records, and the first Manager."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from consent_db import accounts, audit
from consent_db.models import Account, Role
from consent_db.records import UnknownGuardian

from .conftest import row_counts

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"


def make(session, world, **overrides):
    args = dict(setting_id=world.setting_id, email="Grace@Example.org", password=PASSWORD, role="staff",
                person_id=world.staff, hasher=FAST)
    args.update(overrides)
    return accounts.create_account(session, **args)


def test_an_account_signs_in_with_its_password_and_case_insensitive_email(session, world):
    account = make(session, world)
    assert account.password_hash.startswith("$argon2id$")
    assert accounts.authenticate(session, "  grace@example.ORG", PASSWORD, hasher=FAST).id == account.id
    assert account.last_sign_in_at is not None


@pytest.mark.parametrize("email, password", [
    pytest.param("grace@example.org", "wrong password!", id="wrong password"),
    pytest.param("nobody@example.org", PASSWORD, id="unknown email"),
    pytest.param("grace@example.org", "", id="empty password"),
])
def test_a_wrong_sign_in_gets_none(session, world, email, password):
    make(session, world)
    assert accounts.authenticate(session, email, password, hasher=FAST) is None


def test_a_disabled_account_cannot_sign_in(session, world):
    make(session, world).disabled = True
    assert accounts.authenticate(session, "grace@example.org", PASSWORD, hasher=FAST) is None


def test_signing_in_rehashes_when_the_parameters_changed(session, world):
    account = make(session, world)
    old_hash = account.password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert accounts.authenticate(session, "grace@example.org", PASSWORD, hasher=stronger) is not None
    assert account.password_hash != old_hash and not stronger.check_needs_rehash(account.password_hash)


def test_set_password_replaces_it_and_clears_must_change(session, world):
    account = make(session, world, must_change_password=True)
    accounts.set_password(session, account.id, "a brand new secret", actor=audit.SYSTEM, hasher=FAST)
    assert not account.must_change_password
    assert accounts.authenticate(session, "grace@example.org", "a brand new secret", hasher=FAST) is not None


def test_a_parent_account_links_to_a_guardian(session, world):
    account = make(session, world, email="anne@example.org", role="parent", person_id=None, guardian_id=world.mum)
    assert account.role is Role.PARENT


BAD = [
    ("duplicate email", dict(email="GRACE@example.org"), accounts.DuplicateAccount),
    ("short password", dict(email="x@example.org", password="short"), accounts.WeakPassword),
    ("blank password", dict(email="x@example.org", password=" " * 12), accounts.WeakPassword),
    ("bad email", dict(email="not-an-email"), accounts.InvalidAccount),
    ("bad role", dict(email="x@example.org", role="owner"), accounts.InvalidAccount),
    ("staff linked to a child", dict(email="x@example.org", person_id="child"), accounts.InvalidAccount),
    ("staff with no person", dict(email="x@example.org", person_id=None), accounts.InvalidAccount),
    ("parent with no guardian", dict(email="x@example.org", role="parent", person_id=None), accounts.InvalidAccount),
    ("parent with unknown guardian", dict(email="x@example.org", role="parent", person_id=None, guardian_id=999),
     UnknownGuardian),
    ("manager linked to a guardian", dict(email="x@example.org", role="manager", person_id=None, guardian_id="mum"),
     accounts.InvalidAccount),
]


@pytest.mark.parametrize("overrides, error", [pytest.param(*b[1:], id=b[0]) for b in BAD])
def test_bad_accounts_are_refused_and_change_nothing(session, world, overrides, error):
    make(session, world)
    before = row_counts(session)
    for key in ("person_id", "guardian_id"):
        if isinstance(overrides.get(key), str):
            overrides[key] = getattr(world, overrides[key])
    with pytest.raises(error):
        make(session, world, **overrides)
    assert row_counts(session) == before


def test_set_password_refuses_a_weak_one_or_an_unknown_account(session, world):
    account = make(session, world)
    with pytest.raises(accounts.WeakPassword):
        accounts.set_password(session, account.id, "short", actor=audit.SYSTEM, hasher=FAST)
    with pytest.raises(accounts.InvalidAccount):
        accounts.set_password(session, 999, "long enough password", actor=audit.SYSTEM, hasher=FAST)


def test_the_first_manager_gets_a_one_time_password_only_once(session, world):
    password = accounts.create_first_manager(session, email="boss@example.org", setting_id=world.setting_id)
    assert password and len(password) >= 16
    manager = session.query(Account).filter_by(email="boss@example.org").one()
    assert manager.role is Role.MANAGER and manager.must_change_password
    assert accounts.authenticate(session, "boss@example.org", password) is not None
    assert accounts.create_first_manager(session, email="boss2@example.org", setting_id=world.setting_id) is None
