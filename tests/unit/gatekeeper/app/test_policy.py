"""One rule table says who may do what; every web route and every command is mapped to it, and the
ownership rules (a parent's own child with parental responsibility, staff on a tablet) hold."""
from __future__ import annotations

import click
import pytest
from sqlalchemy import func, select

from consent_db import records
from consent_db.models import Person
from gatekeeper.app import people, policy
from gatekeeper.app.consent import decide_for_child
from gatekeeper.app.policy import COMMANDS, ROUTES, RULES, Action
from gatekeeper.app.principal import Principal, Role, operator
from gatekeeper.app.uow import UnitOfWork

from .conftest import T0, add_child

# The blueprints guarded by one role (require_role), and the role their every rule must admit.
GUARDED = {"manager_": Role.MANAGER, "parents.": Role.PARENT, "staff.": Role.STAFF}


def command_paths(group: click.Group, prefix=()) -> list[str]:
    """Every command's words, loading each lazily registered command as the shell would."""
    paths = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append(" ".join((*prefix, name)))
    return paths


@pytest.fixture(scope="module")
def web_app(tmp_path_factory):
    from gatekeeper import create_app
    from gatekeeper.instance import create_secrets

    folder = tmp_path_factory.mktemp("instance")
    create_secrets(folder)
    return create_app({"TESTING": True, "JOBS_URL": "memory://"}, instance_dir=str(folder))


def test_every_action_has_a_rule():
    assert set(RULES) == set(Action)


def test_every_web_route_is_mapped_to_a_rule_and_no_rule_names_a_route_that_is_gone(web_app):
    endpoints = {rule.endpoint for rule in web_app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "a route without a policy rule"
    assert set(ROUTES) - endpoints == set(), "a policy rule for a route that no longer exists"


@pytest.mark.parametrize("prefix, role", GUARDED.items())
def test_a_guarded_blueprints_rules_admit_its_role(prefix, role):
    mapped = {endpoint: action for endpoint, action in ROUTES.items() if endpoint.startswith(prefix)}
    assert mapped
    assert [e for e, action in mapped.items() if role not in RULES[action]] == []


def test_every_command_is_mapped_to_a_rule_the_operator_may_use():
    from gatekeeper.cli import main

    paths = set(command_paths(main))
    assert paths - set(COMMANDS) == set(), "a command without a policy rule"
    assert set(COMMANDS) - paths == set(), "a policy rule for a command that no longer exists"
    assert [p for p, action in COMMANDS.items() if Role.OPERATOR not in RULES[action]] == []


def test_a_principal_has_no_default_setting_and_a_parent_names_their_guardian_record():
    with pytest.raises(TypeError):
        Principal(Role.MANAGER)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Principal(Role.MANAGER, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Principal(Role.PARENT, 1)


@pytest.mark.parametrize("role", [Role.PARENT, Role.STAFF, Role.DEVICE])
def test_only_the_office_changes_records_and_nothing_is_stored_when_refused(sessions, setting_id, clock, role):
    who = Principal(role, setting_id, account_id=1, guardian_id=1 if role is Role.PARENT else None)
    with pytest.raises(policy.Forbidden):
        people.add_person(UnitOfWork(sessions, clock=clock), who, kind="child", first_name="A", surname="B",
                          source="dashboard")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_a_manager_of_another_setting_cannot_reach_this_settings_people(sessions, setting_id, clock):
    child = add_child(sessions, setting_id)
    with sessions.begin() as session:
        from consent_db.models import Setting

        other = Setting(name="Oaks", created_at=T0)
        session.add(other)
        session.flush()
        other_id = other.id
    with pytest.raises(records.UnknownPerson):
        people.set_leaving_date(UnitOfWork(sessions, clock=clock), Principal(Role.MANAGER, other_id, account_id=9),
                                child, "2026-07-01")
    with sessions() as session:
        assert session.get(Person, child).leaving_date is None


def _family(sessions, setting_id, *, pr: bool):
    child = add_child(sessions, setting_id)
    with sessions.begin() as session:
        guardian = records.add_guardian(session, setting_id=setting_id, name="Anne", email=f"anne{child}@example.org",
                                        child_id=child, parental_responsibility=pr, actor=operator(setting_id).actor,
                                        at=T0).id
    return child, Principal(Role.PARENT, setting_id, guardian_id=guardian)


def test_a_parent_decides_only_for_their_own_child_and_only_with_parental_responsibility(sessions, setting_id, clock):
    child, parent = _family(sessions, setting_id, pr=True)
    other_child = add_child(sessions, setting_id, first="Bo")
    with pytest.raises(policy.NotYourChild):
        decide_for_child(UnitOfWork(sessions, clock=clock), parent, other_child, "face-matching", "grant")
    carer_child, carer = _family(sessions, setting_id, pr=False)
    with pytest.raises(policy.NoParentalResponsibility):
        decide_for_child(UnitOfWork(sessions, clock=clock), carer, carer_child, "face-matching", "grant")
    change = decide_for_child(UnitOfWork(sessions, clock=clock), parent, child, "face-matching", "grant")
    assert change.after.allowed


def test_staff_act_only_from_a_registered_tablet():
    with pytest.raises(policy.NoRegisteredTablet):
        policy.require_registered_tablet(Principal(Role.STAFF, 1, account_id=3))
    policy.require_registered_tablet(Principal(Role.STAFF, 1, account_id=3, device_id=4))
    policy.require_registered_tablet(Principal(Role.MANAGER, 1, account_id=2))
