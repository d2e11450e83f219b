"""First run in a setting and changing its details later: init's options and questions, `gatekeeper settings`
(every bad value refused with nothing changed), and `gatekeeper certificate`."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from consent_db import accounts
from consent_db.models import Account, AuditEvent, Role, Setting
from gatekeeper import create_app
from gatekeeper.cli import main
from gatekeeper.cli import server as server_cli
from gatekeeper.database import session_factory, transaction


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("made") / "instance"
    result = run("init", "--instance", str(folder), "--setting-name", "Little Acorns",
                 "--manager-email", "Boss@Acorns.test", "--public-url", "https://acorns.local:8443/")
    assert result.exit_code == 0, result.output
    return folder, result.output


@pytest.fixture
def instance(made, tmp_path):
    folder = tmp_path / "instance"
    shutil.copytree(made[0], folder)
    return folder


def details(folder) -> dict:
    result = run("settings", "--instance", str(folder), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def snapshot(folder) -> tuple:
    app = create_app(instance_dir=str(folder))
    try:
        with transaction(app) as db:
            return (db.scalar(select(Setting.name)), tuple(db.scalars(select(Account.email).order_by(Account.id))),
                    db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)),
                    (folder / "config.toml").read_text())
    finally:
        session_factory(app).kw["bind"].dispose()


def test_init_takes_the_name_email_and_public_url_and_makes_a_certificate_for_them(made):
    folder, output = made
    assert "setting: Little Acorns; public URL: https://acorns.local:8443" in output
    assert "first Manager: boss@acorns.test" in output
    assert "acorns.local" in output.split("HTTPS certificate for")[1]
    assert (folder / "config.toml").read_text() == 'public_url = "https://acorns.local:8443"\n'
    assert details(folder)["manager_emails"] == ["boss@acorns.test"]


def test_init_without_a_terminal_uses_defaults_and_says_how_to_change_them(tmp_path):
    result = run("init", "--instance", str(tmp_path / "instance"), input="")
    assert result.exit_code == 0, result.output
    assert "setting: Our setting; public URL: (not set)" in result.output
    assert "no public URL is set" in result.output and "gatekeeper settings --public-url" in result.output
    assert "change the name, the Manager's email or the public URL later with 'gatekeeper settings'" in result.output


def test_init_at_a_terminal_asks_and_asks_again_after_a_bad_answer(tmp_path, monkeypatch):
    monkeypatch.setattr(server_cli, "_asking", lambda: True)
    answers = "\n".join(["  ", "Oak Tree", "not-an-email", "oak@tree.test", "ftp://oak.local", "https://oak.local:8443"])
    result = run("init", "--instance", str(tmp_path / "instance"), input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "must not be empty" in result.output and "is not an email address" in result.output
    assert "must start with https://" in result.output
    assert "setting: Oak Tree; public URL: https://oak.local:8443" in result.output
    assert "first Manager: oak@tree.test" in result.output


def test_at_a_terminal_the_public_url_can_be_left_for_later(tmp_path, monkeypatch):
    monkeypatch.setattr(server_cli, "_asking", lambda: True)
    result = run("init", "--instance", str(tmp_path / "instance"), input="\n\n\n")
    assert result.exit_code == 0, result.output
    assert "setting: Our setting; public URL: (not set)" in result.output and "no public URL is set" in result.output
    assert not (tmp_path / "instance" / "config.toml").exists()


@pytest.mark.parametrize("option, value, words", [
    ("--setting-name", "   ", "must not be empty"),
    ("--manager-email", "boss at acorns", "is not an email address"),
    ("--public-url", "acorns.local:8443", "must start with https://"),
    ("--public-url", "https://acorns.local/photos", "with no path"),
    ("--public-url", "https://user:pw@acorns.local", "user name or password"),
    ("--public-url", "https://", "names no host"),
    ("--public-url", "https://acorns.local:99999", "is not a URL"),
])
def test_init_refuses_a_bad_value_before_making_anything(tmp_path, option, value, words):
    folder = tmp_path / "instance"
    result = CliRunner().invoke(main, ["init", "--instance", str(folder), option, value])
    assert result.exit_code == 1
    assert words in result.output
    assert not folder.exists()


def test_settings_shows_the_details(instance):
    shown = details(instance)
    assert shown["name"] == "Little Acorns" and shown["public_url"] == "https://acorns.local:8443"
    assert "acorns.local" in shown["certificate"]["names"]
    human = run("settings", "--instance", str(instance)).output
    assert "setting name:   Little Acorns" in human and "manager email:  boss@acorns.test" in human


def test_settings_changes_the_name_email_and_url_and_audits_them(instance):
    result = run("settings", "--instance", str(instance), "--name", " Oak Tree Nursery ",
                 "--manager-email", "Head@OakTree.test", "--public-url", "https://oaktree.local:8443")
    assert result.exit_code == 0, result.output
    assert "the HTTPS certificate now covers" in result.output and "oaktree.local" in result.output
    shown = details(instance)
    assert (shown["name"], shown["manager_emails"], shown["public_url"]) == (
        "Oak Tree Nursery", ["head@oaktree.test"], "https://oaktree.local:8443")
    app = create_app(instance_dir=str(instance))
    with transaction(app) as db:
        tags = list(db.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))[-2:]
    session_factory(app).kw["bind"].dispose()
    assert tags == ["setting:renamed", "account:email-changed"]


@pytest.mark.parametrize("args, words", [
    (["--name", ""], "must not be empty"),
    (["--name", "x" * 201], "longer than"),
    (["--manager-email", "nobody"], "is not an email address"),
    (["--public-url", "ftp://acorns.local"], "must start with https://"),
    (["--public-url", ""], "must not be empty"),
    (["--replacing", "boss@acorns.test"], "give --manager-email too"),
    (["--manager-email", "new@acorns.test", "--replacing", "stranger@acorns.test"], "is not a Manager account"),
    (["--name", "Oak Tree", "--manager-email", "bad"], "is not an email address"),
    (["--name", "Oak Tree", "--public-url", "mailto:x@y"], "must start with https://"),
])
def test_a_bad_value_changes_nothing(instance, args, words):
    before = snapshot(instance)
    result = CliRunner().invoke(main, ["settings", "--instance", str(instance), *args])
    assert result.exit_code == 1
    assert words in result.output
    assert snapshot(instance) == before


def test_an_email_another_account_has_is_refused(instance):
    app = create_app(instance_dir=str(instance))
    with transaction(app) as db:
        setting_id = db.scalar(select(Setting.id))
        accounts.create_account(db, setting_id=setting_id, email="sam@acorns.test", password="correct horse battery",
                                role=Role.MANAGER)
    session_factory(app).kw["bind"].dispose()
    before = snapshot(instance)
    several = CliRunner().invoke(main, ["settings", "--instance", str(instance), "--manager-email", "x@acorns.test"])
    assert several.exit_code == 1 and "2 Manager accounts" in several.output and "--replacing" in several.output
    taken = CliRunner().invoke(main, ["settings", "--instance", str(instance), "--manager-email", "sam@acorns.test",
                                      "--replacing", "boss@acorns.test"])
    assert taken.exit_code == 1 and "already exists" in taken.output
    assert snapshot(instance) == before
    chosen = run("settings", "--instance", str(instance), "--manager-email", "deputy@acorns.test",
                 "--replacing", "SAM@acorns.test")
    assert chosen.exit_code == 0
    assert details(instance)["manager_emails"] == ["boss@acorns.test", "deputy@acorns.test"]


def test_other_lines_of_config_toml_are_kept_and_the_url_goes_above_any_table(instance):
    (instance / "config.toml").write_text('# ours\nport = 9000\npublic_url = "http://old"\n[extra]\nkey = 1\n')
    assert run("settings", "--instance", str(instance), "--public-url", "https://acorns.local:8443").exit_code == 0
    assert (instance / "config.toml").read_text() == (
        '# ours\nport = 9000\npublic_url = "https://acorns.local:8443"\n[extra]\nkey = 1\n')


def test_a_damaged_config_toml_is_not_overwritten(instance):
    (instance / "config.toml").write_text("port = = 9000\n")
    result = CliRunner().invoke(main, ["settings", "--instance", str(instance), "--public-url", "https://a.local"])
    assert result.exit_code == 1 and "not valid TOML" in result.output
    assert (instance / "config.toml").read_text() == "port = = 9000\n"


def test_the_environment_overriding_the_file_is_pointed_out(instance, monkeypatch):
    monkeypatch.setenv("GATEKEEPER_PUBLIC_URL", "https://env.local:8443")
    result = run("settings", "--instance", str(instance), "--public-url", "https://acorns.local:8443")
    assert result.exit_code == 0
    assert "GATEKEEPER_PUBLIC_URL is set in the environment and overrides config.toml" in result.output


def test_certificate_renew_and_show(instance):
    before = details(instance)["certificate"]
    renewed = run("certificate", "renew", "--instance", str(instance), "--json")
    assert renewed.exit_code == 0, renewed.output
    data = json.loads(renewed.output)
    assert data["authority_sha256"] == before["authority_sha256"] and not data["new_authority"]
    fresh = json.loads(run("certificate", "renew", "--instance", str(instance), "--new-authority", "--json").output)
    assert fresh["new_authority"] and fresh["authority_sha256"] != before["authority_sha256"]
    shown = run("certificate", "show", "--instance", str(instance))
    assert fresh["authority_sha256"] in shown.output and "acorns.local" in shown.output


def test_certificate_show_without_a_certificate_says_how_to_make_one(instance):
    shutil.rmtree(instance / "tls")
    result = CliRunner().invoke(main, ["certificate", "show", "--instance", str(instance)])
    assert result.exit_code == 1 and "gatekeeper certificate renew" in result.output


def test_renew_refuses_a_public_name_the_authority_may_not_vouch_for(instance):
    (instance / "config.toml").write_text('public_url = "https://photos.example.org"\n')
    result = CliRunner().invoke(main, ["certificate", "renew", "--instance", str(instance)])
    assert result.exit_code == 1 and "--new-authority" in result.output
    assert run("certificate", "renew", "--instance", str(instance), "--new-authority").exit_code == 0


def test_https_is_switched_on_and_off_in_config_toml_and_shown(instance):
    assert "HTTPS:          not served by this box" in run("settings", "--instance", str(instance)).output
    on = run("settings", "--instance", str(instance), "--https")
    assert on.exit_code == 0 and "HTTPS:          served by this box" in on.output
    assert "restart 'gatekeeper serve'" in on.output
    assert 'https = true' in (instance / "config.toml").read_text()
    assert details(instance)["https"] is True
    app = create_app(instance_dir=str(instance))
    assert app.config["HTTPS"] is True, "serve and doctor read it from config.toml"
    off = run("settings", "--instance", str(instance), "--no-https")
    assert off.exit_code == 0 and 'https = false' in (instance / "config.toml").read_text()
    assert details(instance)["https"] is False


def test_https_in_a_damaged_config_toml_changes_nothing(instance):
    (instance / "config.toml").write_text("port = = 9000\n")
    result = CliRunner().invoke(main, ["settings", "--instance", str(instance), "--https"])
    assert result.exit_code == 1 and "not valid TOML" in result.output
    assert (instance / "config.toml").read_text() == "port = = 9000\n"
