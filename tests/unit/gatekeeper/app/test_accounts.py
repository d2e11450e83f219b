"""The Manager's account use cases: each checks the principal, keeps to its setting and changes
nothing when it refuses."""
from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from consent_db import account_admin, accounts, invitations, records, recovery
from consent_db.audit import CLI
from consent_db.models import Account, Invitation, Role
from gatekeeper.app import accounts as service
from gatekeeper.app.policy import Forbidden
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork

from .conftest import T0

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
WEEK = timedelta(days=7)


@pytest.fixture
def office(sessions, setting_id):
    """A Manager, a staff member with an account, a parent, and another setting with its own Manager."""
    with sessions.begin() as db:
        manager = accounts.create_account(db, setting_id=setting_id, email="m@acorns.test", password=PASSWORD,
                                          role="manager", hasher=FAST)
        sam = records.add_person(db, records.check_person(kind="staff", first_name="Sam", surname="Staff"),
                                 setting_id=setting_id, actor=CLI, at=T0)
        kim = records.add_person(db, records.check_person(kind="staff", first_name="Kim", surname="New"),
                                 setting_id=setting_id, actor=CLI, at=T0)
        staff = accounts.create_account(db, setting_id=setting_id, email="sam@acorns.test", password=PASSWORD,
                                        role="staff", person_id=sam.id, hasher=FAST)
        return {"manager": manager.id, "staff": staff.id, "kim": kim.id}


def uow(sessions, clock):
    return UnitOfWork(sessions, clock=clock)


def manager(setting_id, office) -> Principal:
    return Principal(Role.MANAGER, setting_id, account_id=office["manager"])


def test_the_overview_lists_accounts_and_who_could_still_be_invited(sessions, clock, setting_id, office):
    seen = service.overview(uow(sessions, clock), manager(setting_id, office))
    assert [a.email for a in seen.accounts] == ["m@acorns.test", "sam@acorns.test"]
    assert [p.id for p in seen.staff_without_account] == [office["kim"]]
    assert seen.waiting == []


def test_an_invitation_is_made_listed_and_cancelled(sessions, clock, setting_id, office):
    invited = service.invite(uow(sessions, clock), manager(setting_id, office), role="staff",
                             email="kim@acorns.test", person_id=office["kim"], lifetime=WEEK)
    assert invited.email == "kim@acorns.test" and len(invited.token) > 30
    [waiting] = service.overview(uow(sessions, clock), manager(setting_id, office)).waiting
    assert service.cancel_invitation(uow(sessions, clock), manager(setting_id, office), waiting.id) == invited.email
    with sessions() as db, pytest.raises(invitations.InvalidInvitation):
        invitations.open_invitation(db, invited.token, at=T0)


def test_a_bad_invitation_is_refused_and_nothing_is_kept(sessions, clock, setting_id, office):
    with pytest.raises(invitations.InvitationError):
        service.invite(uow(sessions, clock), manager(setting_id, office), role="wizard", email="x@y.test",
                       lifetime=WEEK)
    with pytest.raises(accounts.AccountError):
        service.invite(uow(sessions, clock), manager(setting_id, office), role="staff", email="sam@acorns.test",
                       person_id=office["kim"], lifetime=WEEK)
    with sessions() as db:
        assert db.query(Invitation).count() == 0


def test_disabling_and_resetting_keep_to_the_rules(sessions, clock, setting_id, office):
    me = manager(setting_id, office)
    with pytest.raises(account_admin.AccountAdminError, match="your own account"):
        service.disable(uow(sessions, clock), me, office["manager"])
    with pytest.raises(recovery.RecoveryError, match="Manager's password"):
        service.reset_password(uow(sessions, clock), me, office["manager"], hasher=FAST)
    email, password = service.reset_password(uow(sessions, clock), me, office["staff"], hasher=FAST)
    assert email == "sam@acorns.test"
    with sessions() as db:
        assert db.get(Account, office["staff"]).must_change_password
        assert accounts.authenticate(db, email, password, hasher=FAST, at=T0) is not None
    assert service.disable(uow(sessions, clock), me, office["staff"]) == "sam@acorns.test"
    with sessions() as db:
        assert db.get(Account, office["staff"]).disabled


@pytest.mark.parametrize("role", [Role.STAFF, Role.PARENT])
def test_only_the_manager_manages_accounts(sessions, clock, setting_id, office, role):
    who = Principal(role, setting_id, account_id=office["staff"], guardian_id=1 if role is Role.PARENT else None)
    for call in (lambda: service.overview(uow(sessions, clock), who),
                 lambda: service.invite(uow(sessions, clock), who, role="staff", email="a@b.test", lifetime=WEEK),
                 lambda: service.disable(uow(sessions, clock), who, office["manager"]),
                 lambda: service.reset_password(uow(sessions, clock), who, office["staff"], hasher=FAST),
                 lambda: service.cancel_invitation(uow(sessions, clock), who, 1)):
        with pytest.raises(Forbidden):
            call()
    with sessions() as db:
        assert not db.get(Account, office["manager"]).disabled


def test_another_settings_manager_sees_and_changes_nothing_here(sessions, clock, setting_id, office):
    from consent_db.models import Setting

    with sessions.begin() as db:
        oaks = Setting(name="Oaks", created_at=T0)
        db.add(oaks)
        db.flush()
        oaks_id = oaks.id
    stranger = Principal(Role.MANAGER, oaks_id, account_id=office["manager"])
    assert service.overview(uow(sessions, clock), stranger).accounts == []
    with pytest.raises(account_admin.AccountAdminError):
        service.disable(uow(sessions, clock), stranger, office["staff"])
    with pytest.raises(recovery.RecoveryError):
        service.reset_password(uow(sessions, clock), stranger, office["staff"], hasher=FAST)
