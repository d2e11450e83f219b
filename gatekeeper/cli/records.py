"""Operator commands for the records: people, guardians, channels, consent. Each is an adapter: it parses
the words, calls one application service as the operator of a named (or the only) setting, and maps errors."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import importing, migrate, records
from consent_db.models import GivenBy, Method, Person, Setting
from consent_db.timeutil import short_date
from consent_db.verdicts import Verdict
from gatekeeper.app import consent as consent_service
from gatekeeper.app import people as people_service
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.app.drain import DrainReport, drain
from gatekeeper.app.policy import PolicyError
from gatekeeper.app.principal import Principal, operator
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.database import session_factory, transaction


@dataclass(frozen=True)
class Operator:
    """The command line's way in: the app, a unit-of-work factory, and the operator principal."""

    app: Flask
    principal: Principal

    def uow(self) -> UnitOfWork:
        return unit_of_work(self.app)

    def carry_out(self) -> DrainReport:
        """Drain the outbox now, so the operator sees the outcome (a running service would do it too)."""
        return drain(gate_context(self.app))


def resolve_setting(session: Session, name: str | None) -> Setting:
    """The setting named (by id or name), or the only one; raises CommandError otherwise."""
    settings = list(session.scalars(select(Setting).order_by(Setting.id)))
    if not settings:
        raise CommandError("there is no setting yet: run 'gatekeeper init'")
    if name is None:
        if len(settings) > 1:
            raise CommandError(f"this instance holds {len(settings)} settings: name one with --setting")
        return settings[0]
    for setting in settings:
        if str(setting.id) == name or setting.name == name:
            return setting
    raise CommandError(f"there is no setting {name!r}")


@contextmanager
def operator_for(instance: str, setting: str | None) -> Iterator[Operator]:
    """The operator acting on one setting of the instance; records and policy errors become CommandErrors."""
    app = open_app(instance)
    engine = session_factory(app).kw["bind"]
    try:
        if migrate.current_revision(engine) != migrate.head_revision():
            raise CommandError(f"the database of {instance} is not set up: run 'gatekeeper init --instance {instance}'")
        with session_factory(app)() as session:
            setting_id = resolve_setting(session, setting).id
        yield Operator(app, operator(setting_id))
    except (records.RecordsError, PolicyError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()


@contextmanager
def records_session(instance: str, setting: str | None = None) -> Iterator[tuple[Session, Setting]]:
    """A transaction on the operator's setting, for read-only commands that have no service of their own yet."""
    with operator_for(instance, setting) as op:
        with transaction(op.app) as session:
            yield session, session.get(Setting, op.principal.setting_id)


setting_option = click.option("--setting", "setting", default=None, metavar="ID|NAME",
                              help="The setting to act on (default: the only one).")


def person_data(person: Person) -> dict:
    return {
        "id": person.id, "kind": person.kind.value, "first_name": person.first_name, "surname": person.surname,
        "born": person.date_of_birth, "starts": person.start_date, "leaves": person.leaving_date, "room": person.room,
    }


def verdict_data(verdict: Verdict) -> dict:
    return {"allowed": verdict.allowed, "reason": verdict.reason.value, "detail": verdict.detail}


def _person_line(p: dict) -> str:
    dates = " ".join(f"{k} {short_date(p[k])}" for k in ("born", "starts", "leaves") if p[k])
    return f"{p['id']:>5}  {p['kind']:<5}  {p['first_name']} {p['surname']}  {dates}".rstrip()


# --- people -------------------------------------------------------------------------------------

@click.group()
def people() -> None:
    """Children and staff."""


@people.command("add")
@instance_option
@setting_option
@click.option("--kind", type=click.Choice(["child", "staff"]), required=True)
@click.option("--first-name", required=True)
@click.option("--surname", required=True)
@click.option("--born", help="Date of birth, YYYY-MM-DD.")
@click.option("--starts", help="Start date, YYYY-MM-DD.")
@click.option("--leaves", help="Leaving date, YYYY-MM-DD (consent ends on it).")
@click.option("--room")
@json_option
def people_add(instance, setting, kind, first_name, surname, born, starts, leaves, room, as_json) -> None:
    """Add a child or a staff member; prints the new id."""
    with operator_for(instance, setting) as op:
        data = person_data(people_service.add_person(op.uow(), op.principal, kind=kind, first_name=first_name,
                                                     surname=surname, born=born, starts=starts, leaves=leaves,
                                                     room=room, source="manual"))
    emit(data, as_json, lambda p: f"added person {p['id']}: {p['first_name']} {p['surname']} ({p['kind']})")


@people.command("list")
@instance_option
@setting_option
@click.option("--kind", type=click.Choice(["child", "staff"]))
@click.option("--archived", "show", flag_value="archived", help="Only archived people.")
@click.option("--all", "show", flag_value="all", help="Current and archived people.")
@json_option
def people_list(instance, setting, kind, show, as_json) -> None:
    """List the setting's people (archived ones only when asked)."""
    archived = {"archived": True, "all": None}.get(show, False)
    with operator_for(instance, setting) as op:
        data = [person_data(p) for p in people_service.list_people(op.uow(), op.principal, kind=kind,
                                                                   archived=archived)]
    emit(data, as_json, lambda rows: "\n".join(_person_line(p) for p in rows) or "nobody yet")


def _read_csv(csv_file: Path) -> str:
    try:
        return csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"{csv_file} is not UTF-8 text: save it as 'CSV UTF-8'") from None


def plan_data(plan: importing.ImportPlan) -> dict:
    return {"fingerprint": plan.fingerprint, "rows": [
        {"row": r.row, "action": r.action.value, "person_id": r.person_id, "name": r.name,
         "changes": list(r.changes), "possible_duplicates": list(r.possible_duplicates)} for r in plan.rows]}


def _plan_text(d: dict) -> str:
    lines = []
    for r in d["rows"]:
        if r["action"] == "unchanged" and not r["possible_duplicates"]:
            continue
        who = r["name"] + (f" (person {r['person_id']})" if r["person_id"] else "")
        lines.append(f"row {r['row']:>4}  {r['action']:<9}  {who}")
        lines += [f"             {change}" for change in r["changes"]]
        lines += [f"             possible duplicate of {other}" for other in r["possible_duplicates"]]
    counts = {a: sum(r["action"] == a for r in d["rows"]) for a in ("new", "changed", "unchanged")}
    duplicates = sum(bool(r["possible_duplicates"]) for r in d["rows"])
    lines.append(f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged, "
                 f"{duplicates} possible duplicate(s); nothing was changed: run again with --apply")
    return "\n".join(lines)


@people.command("import")
@instance_option
@setting_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--preview/--apply", default=False,
              help="--preview shows who is new, changed or a possible duplicate and changes nothing; "
                   "--apply (the default) imports everyone, or nobody if any row is wrong.")
@click.option("--expect", metavar="FINGERPRINT", help="With --apply: refuse unless the plan is still the one a "
              "--preview printed (nothing changed in between).")
@json_option
def people_import(instance, setting, csv_file: Path, preview, expect, as_json) -> None:
    """Import a class list from CSV (UK dates, up to two guardians a row): all of it or, if any row is wrong, nothing."""
    text = _read_csv(csv_file)
    with operator_for(instance, setting) as op:
        try:
            if preview:
                data = plan_data(people_service.preview_import(op.uow(), op.principal, text))
            else:
                result = people_service.import_people(op.uow(), op.principal, text, expected=expect)
                data = {"added": [person_data(p) for p in result.added],
                        "changed": [person_data(p) for p in result.changed], "unchanged": result.unchanged}
        except importing.CsvImportError as exc:
            raise CommandError("nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
        if not preview:
            op.carry_out()
    if preview:
        emit(data, as_json, _plan_text)
    else:
        emit(data, as_json, lambda d: f"imported: {len(d['added'])} new, {len(d['changed'])} changed, "
             f"{d['unchanged']} unchanged" + (f" (new ids {', '.join(str(p['id']) for p in d['added'])})"
                                              if d["added"] else ""))


@people.command("edit")
@instance_option
@setting_option
@click.argument("person_id", metavar="PERSON", type=int)
@click.option("--first-name")
@click.option("--surname")
@click.option("--born", help="Date of birth, e.g. 14/03/2022 ('' clears it).")
@click.option("--starts", help="Start date ('' clears it).")
@click.option("--leaves", help="Leaving date; consent ends on it ('' clears it).")
@click.option("--room", help="Room ('' clears it).")
@json_option
def people_edit(instance, setting, person_id, first_name, surname, born, starts, leaves, room, as_json) -> None:
    """Change a person's details; options not given stay as they are."""
    with operator_for(instance, setting) as op:
        current = next((p for p in people_service.list_people(op.uow(), op.principal, kind=None, archived=None)
                        if p.id == person_id), None)
        if current is None:
            raise CommandError(f"there is no person {person_id}")
        keep = person_data(current)

        def pick(given, key):
            return keep[key] if given is None else given

        change = people_service.update_person(
            op.uow(), op.principal, person_id, first_name=pick(first_name, "first_name"),
            surname=pick(surname, "surname"), born=pick(born, "born"), starts=pick(starts, "starts"),
            leaves=pick(leaves, "leaves"), room=pick(room, "room"))
        data = {"person": person_data(change.person), "changed": sorted(change.changed)}
        op.carry_out()
    emit(data, as_json, lambda d: f"person {person_id}: changed {', '.join(d['changed'])}" if d["changed"]
         else f"person {person_id}: nothing to change")


@people.command("archive")
@instance_option
@setting_option
@click.argument("person_id", metavar="PERSON", type=int)
@json_option
def people_archive(instance, setting, person_id, as_json) -> None:
    """Archive a person: hidden from lists, never deleted; consent ends as on leaving."""
    with operator_for(instance, setting) as op:
        change = people_service.archive_person(op.uow(), op.principal, person_id)
        data = {"person": person_data(change.person)}
        report = op.carry_out()
    data["taken_down"] = report.taken_down
    emit(data, as_json, lambda d: f"archived person {person_id}" + (
        f"; leaving date {d['person']['leaves']}" if d["person"]["leaves"] else "")
        + (f"; {d['taken_down']} published copies taken down" if d["taken_down"] else ""))


@people.command("restore")
@instance_option
@setting_option
@click.argument("person_id", metavar="PERSON", type=int)
@json_option
def people_restore(instance, setting, person_id, as_json) -> None:
    """Show an archived person again (the leaving date stays until cleared)."""
    with operator_for(instance, setting) as op:
        data = person_data(people_service.restore_person(op.uow(), op.principal, person_id))
    emit(data, as_json, lambda p: f"restored person {p['id']}")


# --- guardians ----------------------------------------------------------------------------------

@click.group()
def guardians() -> None:
    """Parents and carers, and who holds parental responsibility."""


@guardians.command("add")
@instance_option
@setting_option
@click.option("--name", required=True)
@click.option("--email", required=True, help="An existing guardian with this email is linked, not duplicated.")
@click.option("--child", "child_id", type=int, required=True, help="The child's person id.")
@click.option("--phone")
@click.option("--no-parental-responsibility", is_flag=True, help="A carer whose consent decisions do not count.")
@json_option
def guardians_add(instance, setting, name, email, child_id, phone, no_parental_responsibility, as_json) -> None:
    """Add a guardian to a child (or link an existing one)."""
    with operator_for(instance, setting) as op:
        guardian = people_service.add_guardian(op.uow(), op.principal, child_id=child_id, name=name, email=email,
                                               phone=phone, parental_responsibility=not no_parental_responsibility)
        data = {"id": guardian.id, "name": guardian.name, "email": guardian.email, "child_id": child_id,
                "parental_responsibility": not no_parental_responsibility}
    emit(data, as_json, lambda g: f"guardian {g['id']} ({g['email']}) linked to child {g['child_id']}"
         + ("" if g["parental_responsibility"] else " without parental responsibility"))


@guardians.command("list")
@instance_option
@setting_option
@click.option("--child", "child_id", type=int, required=True)
@json_option
def guardians_list(instance, setting, child_id, as_json) -> None:
    """A child's guardians."""
    with operator_for(instance, setting) as op:
        data = [{"id": line.guardian.id, "name": line.guardian.name, "email": line.guardian.email,
                 "parental_responsibility": line.link.parental_responsibility}
                for line in people_service.guardians_of(op.uow(), op.principal, child_id)]
    emit(data, as_json, lambda rows: "\n".join(
        f"{g['id']:>5}  {g['name']} <{g['email']}>{'' if g['parental_responsibility'] else '  (no PR)'}" for g in rows
    ) or "no guardians recorded")


@guardians.command("edit")
@instance_option
@setting_option
@click.argument("guardian_id", metavar="GUARDIAN", type=int)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--phone")
@json_option
def guardians_edit(instance, setting, guardian_id, name, email, phone, as_json) -> None:
    """Change a guardian's name, email or phone."""
    with operator_for(instance, setting) as op:
        changed = people_service.update_guardian(op.uow(), op.principal, guardian_id, name=name, email=email,
                                                 phone=phone)
    emit({"id": guardian_id, "changed": changed}, as_json,
         lambda d: f"guardian {guardian_id}: changed {', '.join(d['changed'])}" if d["changed"]
         else f"guardian {guardian_id}: nothing to change")


@guardians.command("responsibility")
@instance_option
@setting_option
@click.argument("guardian_id", metavar="GUARDIAN", type=int)
@click.option("--child", "child_id", type=int, required=True)
@click.argument("holds", metavar="yes|no", type=click.Choice(["yes", "no"]))
@json_option
def guardians_responsibility(instance, setting, guardian_id, child_id, holds, as_json) -> None:
    """Say whether GUARDIAN holds parental responsibility for a child (their say in consent)."""
    with operator_for(instance, setting) as op:
        changed = people_service.set_parental_responsibility(op.uow(), op.principal, guardian_id, child_id,
                                                             holds == "yes")
        report = op.carry_out()
    data = {"guardian_id": guardian_id, "child_id": child_id, "parental_responsibility": holds == "yes",
            "changed": changed, "taken_down": report.taken_down}
    emit(data, as_json, lambda d: (f"guardian {guardian_id} now {'holds' if d['parental_responsibility'] else 'does not hold'}"
                                   f" parental responsibility for child {child_id}") if d["changed"] else "nothing to change")


@guardians.command("archive")
@instance_option
@setting_option
@click.argument("guardian_id", metavar="GUARDIAN", type=int)
@json_option
def guardians_archive(instance, setting, guardian_id, as_json) -> None:
    """Archive a guardian: hidden, never deleted; their say in consent stays until their PR is taken away."""
    with operator_for(instance, setting) as op:
        guardian = people_service.archive_guardian(op.uow(), op.principal, guardian_id)
        data = {"id": guardian.id}
    emit(data, as_json, lambda d: f"archived guardian {d['id']}")


@guardians.command("restore")
@instance_option
@setting_option
@click.argument("guardian_id", metavar="GUARDIAN", type=int)
@json_option
def guardians_restore(instance, setting, guardian_id, as_json) -> None:
    """Show an archived guardian again, to be edited and linked as before."""
    with operator_for(instance, setting) as op:
        guardian = people_service.restore_guardian(op.uow(), op.principal, guardian_id)
        data = {"id": guardian.id}
    emit(data, as_json, lambda d: f"restored guardian {d['id']}")


# --- consent ------------------------------------------------------------------------------------

BY_WORDS = {"self": GivenBy.SELF, "manager": GivenBy.MANAGER, "child-objection": GivenBy.CHILD_OBJECTION}


def _given_by(by: str, guardian: int | None) -> tuple[GivenBy, int | None]:
    if by.isdigit():
        if guardian is not None:
            raise CommandError("--guardian goes with --by manager; --by GUARDIAN_ID already names the guardian")
        return GivenBy.GUARDIAN, int(by)
    if by not in BY_WORDS:
        raise CommandError(f"--by {by!r} must be a guardian id, self, manager or child-objection")
    if guardian is not None and BY_WORDS[by] is not GivenBy.MANAGER:
        raise CommandError("--guardian only goes with --by manager (the guardian who signed the paper form)")
    return BY_WORDS[by], guardian


@click.group()
def consent() -> None:
    """Consent decisions and what is in force."""


@consent.command("set")
@instance_option
@setting_option
@click.argument("person_id", metavar="PERSON", type=int)
@click.argument("purpose", metavar="CHANNEL|face-matching")
@click.argument("decision", type=click.Choice(["grant", "refuse"]))
@click.option("--by", "by", required=True, metavar="GUARDIAN_ID|self|manager|child-objection",
              help="Whose decision. child-objection + refuse records the child's objection; + grant lifts it.")
@click.option("--guardian", type=int, help="With --by manager: the guardian who signed the child's paper form.")
@click.option("--expires", help="The grant lapses at the start of this date (YYYY-MM-DD).")
@click.option("--evidence", help="For paper forms: where the signed form is kept.")
@json_option
def consent_set(instance, setting, person_id, purpose, decision, by, guardian, expires, evidence, as_json) -> None:
    """Record a grant or refusal; history is kept, never changed."""
    given_by, guardian_id = _given_by(by, guardian)
    with operator_for(instance, setting) as op:
        [change] = consent_service.record_consent(
            op.uow(), op.principal, person_id=person_id, purpose=purpose, decision=decision, given_by=given_by,
            method=Method.PAPER_FORM if given_by is GivenBy.MANAGER else Method.CLI, guardian_id=guardian_id,
            expires=expires, evidence=evidence)
        data = {"decision_id": change.decision_id, "person_id": person_id, "purpose": purpose,
                "before": verdict_data(change.before), "after": verdict_data(change.after),
                "consent_ended": change.ended, "templates_deleted": change.templates_deleted}
        report = op.carry_out()
    if report.failed:
        # The decision stands and its outbox row is kept; the running service retries it.
        click.echo(f"warning: not all of it could be carried out yet ({report.errors[0]}); the running "
                   "service will retry", err=True)
    data["taken_down"] = report.taken_down
    emit(data, as_json, lambda d: (
        f"recorded decision {d['decision_id']}: person {d['person_id']} on {d['purpose']} is now "
        f"{'IN FORCE' if d['after']['allowed'] else 'NOT in force'} ({d['after']['detail']})"
        + (f"; {d['templates_deleted']} face templates deleted" if d["templates_deleted"] else "")
        + (f"; {d['taken_down']} published copies taken down" if d["taken_down"] else "")
    ))


@consent.command("show")
@instance_option
@setting_option
@click.argument("person_id", metavar="PERSON", type=int)
@json_option
def consent_show(instance, setting, person_id, as_json) -> None:
    """Consent in force now for each channel and for face matching, with the reason."""
    with operator_for(instance, setting) as op:
        summary = consent_service.consent_summary(op.uow(), op.principal, person_id)
        data = {"person": person_data(summary.person),
                "consent": [{"purpose": line.label, **verdict_data(line.verdict)} for line in summary.lines]}
    emit(data, as_json, lambda d: "\n".join(
        [f"person {d['person']['id']}: {d['person']['first_name']} {d['person']['surname']} ({d['person']['kind']})"]
        + [f"  {c['purpose']:<20} {'in force' if c['allowed'] else 'NOT in force':<13} {c['detail']}" for c in d["consent"]]
    ))
