"""Operator commands for the records: people, guardians, channels, consent. They act on the instance's first setting."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click
from sqlalchemy.orm import Session

from consent_db import consent as consent_service
from consent_db import importing, migrate, records
from consent_db.audit import CLI
from consent_db.models import GivenBy, Method, Person, Setting
from consent_db.timeutil import now
from consent_db.verdicts import FACE_MATCHING, Verdict
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.database import session_factory, transaction


@contextmanager
def records_session(instance: str) -> Iterator[tuple[Session, Setting]]:
    """A transaction on the instance's database and its setting; records errors become CommandErrors."""
    app = open_app(instance)
    engine = session_factory(app).kw["bind"]
    try:
        if migrate.current_revision(engine) != migrate.head_revision():
            raise CommandError(f"the database of {instance} is not set up: run 'gatekeeper init --instance {instance}'")
        with transaction(app) as session:
            yield session, records.default_setting(session)
    except records.RecordsError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()


def person_data(person: Person) -> dict:
    return {
        "id": person.id, "kind": person.kind.value, "first_name": person.first_name, "surname": person.surname,
        "born": person.date_of_birth, "starts": person.start_date, "leaves": person.leaving_date, "room": person.room,
    }


def verdict_data(verdict: Verdict) -> dict:
    return {"allowed": verdict.allowed, "reason": verdict.reason.value, "detail": verdict.detail}


def _person_line(p: dict) -> str:
    dates = " ".join(f"{k}={p[k]}" for k in ("born", "starts", "leaves") if p[k])
    return f"{p['id']:>5}  {p['kind']:<5}  {p['first_name']} {p['surname']}  {dates}".rstrip()


# --- people -------------------------------------------------------------------------------------

@click.group()
def people() -> None:
    """Children and staff."""


@people.command("add")
@instance_option
@click.option("--kind", type=click.Choice(["child", "staff"]), required=True)
@click.option("--first-name", required=True)
@click.option("--surname", required=True)
@click.option("--born", help="Date of birth, YYYY-MM-DD.")
@click.option("--starts", help="Start date, YYYY-MM-DD.")
@click.option("--leaves", help="Leaving date, YYYY-MM-DD (consent ends on it).")
@click.option("--room")
@json_option
def people_add(instance, kind, first_name, surname, born, starts, leaves, room, as_json) -> None:
    """Add a child or a staff member; prints the new id."""
    with records_session(instance) as (session, setting):
        fields = records.check_person(kind=kind, first_name=first_name, surname=surname, born=born,
                                      starts=starts, leaves=leaves, room=room)
        data = person_data(records.add_person(session, fields, setting_id=setting.id, actor=CLI))
    emit(data, as_json, lambda p: f"added person {p['id']}: {p['first_name']} {p['surname']} ({p['kind']})")


@people.command("list")
@instance_option
@click.option("--kind", type=click.Choice(["child", "staff"]))
@json_option
def people_list(instance, kind, as_json) -> None:
    """List the setting's people."""
    with records_session(instance) as (session, setting):
        data = [person_data(p) for p in records.list_people(session, setting_id=setting.id, kind=kind)]
    emit(data, as_json, lambda rows: "\n".join(_person_line(p) for p in rows) or "nobody yet")


@people.command("import")
@instance_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def people_import(instance, csv_file: Path, as_json) -> None:
    """Import a class list from CSV: everyone or, if any row is wrong, nobody."""
    try:
        text = csv_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{csv_file} is not UTF-8 text: save it as 'CSV UTF-8'") from None
    with records_session(instance) as (session, setting):
        try:
            added = importing.import_people_csv(session, text, setting_id=setting.id, actor=CLI)
        except importing.CsvImportError as exc:
            raise CommandError("nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
        data = [person_data(p) for p in added]
    emit(data, as_json, lambda rows: f"imported 1 person (id {rows[0]['id']})" if len(rows) == 1
         else f"imported {len(rows)} people (ids {rows[0]['id']}-{rows[-1]['id']})")


# --- guardians ----------------------------------------------------------------------------------

@click.group()
def guardians() -> None:
    """Parents and carers, and who holds parental responsibility."""


@guardians.command("add")
@instance_option
@click.option("--name", required=True)
@click.option("--email", required=True, help="An existing guardian with this email is linked, not duplicated.")
@click.option("--child", "child_id", type=int, required=True, help="The child's person id.")
@click.option("--phone")
@click.option("--no-parental-responsibility", is_flag=True, help="A carer whose consent decisions do not count.")
@json_option
def guardians_add(instance, name, email, child_id, phone, no_parental_responsibility, as_json) -> None:
    """Add a guardian to a child (or link an existing one)."""
    with records_session(instance) as (session, setting):
        guardian = records.add_guardian(
            session, setting_id=setting.id, name=name, email=email, child_id=child_id, phone=phone,
            parental_responsibility=not no_parental_responsibility, actor=CLI,
        )
        data = {"id": guardian.id, "name": guardian.name, "email": guardian.email, "child_id": child_id,
                "parental_responsibility": not no_parental_responsibility}
    emit(data, as_json, lambda g: f"guardian {g['id']} ({g['email']}) linked to child {g['child_id']}"
         + ("" if g["parental_responsibility"] else " without parental responsibility"))


@guardians.command("list")
@instance_option
@click.option("--child", "child_id", type=int, required=True)
@json_option
def guardians_list(instance, child_id, as_json) -> None:
    """A child's guardians."""
    with records_session(instance) as (session, setting):
        records.get_person(session, child_id, setting_id=setting.id)
        data = [{"id": link.guardian.id, "name": link.guardian.name, "email": link.guardian.email,
                 "parental_responsibility": link.parental_responsibility}
                for link in records.guardian_links(session, child_id)]
    emit(data, as_json, lambda rows: "\n".join(
        f"{g['id']:>5}  {g['name']} <{g['email']}>{'' if g['parental_responsibility'] else '  (no PR)'}" for g in rows
    ) or "no guardians recorded")


# --- channels -----------------------------------------------------------------------------------

@click.group()
def channels() -> None:
    """The setting's official channels."""


@channels.command("add")
@instance_option
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--description", required=True, help="Plain English, shown to parents when they decide.")
@json_option
def channels_add(instance, slug, name, description, as_json) -> None:
    """Add an official channel (its publishing target is configured later)."""
    with records_session(instance) as (session, setting):
        channel = records.add_channel(session, setting_id=setting.id, slug=slug, name=name,
                                      description=description, actor=CLI)
        data = {"id": channel.id, "slug": channel.slug, "name": channel.name, "description": channel.description}
    emit(data, as_json, lambda c: f"added channel {c['id']}: {c['slug']} ({c['name']})")


@channels.command("list")
@instance_option
@json_option
def channels_list(instance, as_json) -> None:
    """List the setting's channels."""
    with records_session(instance) as (session, setting):
        data = [{"id": c.id, "slug": c.slug, "name": c.name, "description": c.description, "target": c.target}
                for c in records.list_channels(session, setting_id=setting.id)]
    emit(data, as_json, lambda rows: "\n".join(f"{c['id']:>5}  {c['slug']}  {c['name']}" for c in rows) or "no channels yet")


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
@click.argument("person_id", metavar="PERSON", type=int)
@click.argument("purpose", metavar="CHANNEL|face-matching")
@click.argument("decision", type=click.Choice(["grant", "refuse"]))
@click.option("--by", "by", required=True, metavar="GUARDIAN_ID|self|manager|child-objection",
              help="Whose decision. child-objection + refuse records the child's objection; + grant lifts it.")
@click.option("--guardian", type=int, help="With --by manager: the guardian who signed the child's paper form.")
@click.option("--expires", help="The grant lapses at the start of this date (YYYY-MM-DD).")
@click.option("--evidence", help="For paper forms: where the signed form is kept.")
@json_option
def consent_set(instance, person_id, purpose, decision, by, guardian, expires, evidence, as_json) -> None:
    """Record a grant or refusal; history is kept, never changed."""
    given_by, guardian_id = _given_by(by, guardian)
    with records_session(instance) as (session, setting):
        person = records.get_person(session, person_id, setting_id=setting.id)
        target = FACE_MATCHING if purpose == FACE_MATCHING else records.get_channel(session, purpose, setting_id=setting.id).id
        change = consent_service.record_decision(
            session, person_id=person.id, purpose=target, decision=decision, given_by=given_by,
            guardian_id=guardian_id, method=Method.PAPER_FORM if given_by is GivenBy.MANAGER else Method.CLI,
            expires=records.parse_date(expires, "expiry date"), evidence=evidence, at=now(), actor_label=CLI.label,
        )
        data = {"decision_id": change.decision_id, "person_id": person.id, "purpose": purpose,
                "before": verdict_data(change.before), "after": verdict_data(change.after),
                "consent_ended": change.ended, "templates_deleted": change.templates_deleted}
    data["taken_down"] = _sweep_after(instance, change)
    emit(data, as_json, lambda d: (
        f"recorded decision {d['decision_id']}: person {d['person_id']} on {d['purpose']} is now "
        f"{'IN FORCE' if d['after']['allowed'] else 'NOT in force'} ({d['after']['detail']})"
        + (f"; {d['templates_deleted']} face templates deleted" if d["templates_deleted"] else "")
        + (f"; {d['taken_down']} published copies taken down" if d["taken_down"] else "")
    ))


def _sweep_after(instance: str, change) -> int:
    """Take down and re-decide the person's items now, so the operator sees the outcome at once."""
    from gatekeeper.gate.context import gate_context
    from gatekeeper.gate.takedown import sweep

    from gatekeeper.publishers.base import PublisherError

    try:
        return len(sweep(gate_context(open_app(instance, JOBS_URL="memory://")), person_id=change.person_id).taken_down)
    except PublisherError as exc:
        # The decision stands; the service's minute sweep retries the takedown.
        click.echo(f"warning: a channel could not be reached ({exc}); the running service will retry", err=True)
        return 0


@consent.command("show")
@instance_option
@click.argument("person_id", metavar="PERSON", type=int)
@json_option
def consent_show(instance, person_id, as_json) -> None:
    """Consent in force now for each channel and for face matching, with the reason."""
    with records_session(instance) as (session, setting):
        person = records.get_person(session, person_id, setting_id=setting.id)
        lines = consent_service.person_consent(session, person.id, at=now())
        data = {"person": person_data(person),
                "consent": [{"purpose": line.label, **verdict_data(line.verdict)} for line in lines]}
    emit(data, as_json, lambda d: "\n".join(
        [f"person {d['person']['id']}: {d['person']['first_name']} {d['person']['surname']} ({d['person']['kind']})"]
        + [f"  {c['purpose']:<20} {'in force' if c['allowed'] else 'NOT in force':<13} {c['detail']}" for c in d["consent"]]
    ))
