"""The setting's details (name, Manager's email, public URL) and the HTTPS certificate for the setting's network."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask

from consent_db import records
from gatekeeper import certificates
from gatekeeper import config as config_module
from gatekeeper.app import setting_details
from gatekeeper.app.context import unit_of_work
from gatekeeper.app.principal import operator
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option, open_app
from gatekeeper.config import ConfigError
from gatekeeper.database import transaction

PUBLIC_URL_ENV = "GATEKEEPER_PUBLIC_URL"
HTTPS_ENV = "GATEKEEPER_HTTPS"


def _setting_id(app: Flask) -> int:
    try:
        with transaction(app) as session:
            return records.default_setting(session).id
    except records.NoSetting as exc:
        raise CommandError(str(exc)) from None


def certificate_summary(instance: Path) -> dict | None:
    """The server certificate's names, expiry and the authority's fingerprint; None when there is none."""
    cert_path, _ = certificates.server_files(instance)
    try:
        server = certificates.read_certificate(cert_path)
        authority = certificates.authority_info(instance)
    except certificates.CertificateError:
        return None
    return {"names": [*server.dns, *map(str, server.addresses)], "expires": server.not_after.isoformat(),
            "authority_sha256": authority.sha256}


def renew_certificate(instance: Path, public_url: str) -> certificates.CertificateInfo:
    """A server certificate for the box's names and addresses now; raises CertificateError."""
    return certificates.issue_server_certificate(instance, certificates.box_names(public_url))


def _details(app: Flask, public_url: str) -> dict:
    found = setting_details.show(unit_of_work(app), operator(_setting_id(app)))
    return {"name": found.name, "manager_emails": list(found.manager_emails), "public_url": public_url or None,
            "https": bool(app.config["HTTPS"]),
            "certificate": certificate_summary(Path(app.config["INSTANCE_PATH"]))}


def _human(data: dict) -> str:
    lines = [f"setting name:   {data['name']}",
             f"manager email:  {', '.join(data['manager_emails']) or '(none)'}",
             f"public URL:     {data['public_url'] or '(not set: nobody can be invited; set it with --public-url)'}"]
    lines.append("HTTPS:          " + ("served by this box ('gatekeeper serve' serves HTTPS)" if data["https"]
                                       else "not served by this box (plain HTTP, or a TLS proxy in front)"))
    certificate = data.get("certificate")
    if certificate:
        lines.append(f"certificate:    {', '.join(certificate['names'])} (until {certificate['expires'][:10]})")
    for note in data.get("notes", ()):
        lines.append(note)
    return "\n".join(lines)


@click.command()
@instance_option
@click.option("--name", default=None, help="New name of the setting (shown on every page, invitation and email).")
@click.option("--manager-email", default=None, help="New sign-in email of the Manager.")
@click.option("--replacing", default=None, metavar="EMAIL",
              help="With several Managers: the current email of the one whose email changes.")
@click.option("--public-url", default=None,
              help="Where tablets and parents reach this service, e.g. https://gatekeeper.local:8443.")
@click.option("--https/--no-https", "https", default=None,
              help="Whether 'gatekeeper serve' serves HTTPS for the setting's network by default (and doctor "
                   "expects it): --https on a box reached directly, --no-https behind a TLS proxy.")
@json_option
def settings(instance: str, name: str | None, manager_email: str | None, replacing: str | None,
             public_url: str | None, https: bool | None, as_json: bool) -> None:
    """Show the setting's name, Manager's email, public URL and whether HTTPS is served, or change them."""
    if replacing is not None and manager_email is None:
        raise CommandError("--replacing says whose email --manager-email changes: give --manager-email too")
    url = None
    if public_url is not None:
        try:
            url = setting_details.check_public_url(public_url)
        except setting_details.SettingError as exc:
            raise CommandError(str(exc)) from None
    app = open_app(instance)
    notes: list[str] = []
    if name is not None or manager_email is not None:
        try:
            setting_details.change(unit_of_work(app), operator(_setting_id(app)), name=name,
                                   manager_email=manager_email, replacing=replacing)
        except setting_details.SettingError as exc:
            raise CommandError(str(exc)) from None
    effective = app.config["PUBLIC_URL"]
    if url is not None:
        try:
            config_module.set_in_file(instance, "public_url", url)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        effective = os.environ.get(PUBLIC_URL_ENV) or url
        if os.environ.get(PUBLIC_URL_ENV):
            notes.append(f"note: {PUBLIC_URL_ENV} is set in the environment and overrides config.toml")
        notes += _cover(Path(instance), effective)
        notes.append("restart 'gatekeeper serve' for the new URL to take effect")
    if https is not None:
        try:
            config_module.set_in_file(instance, "https", https)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        if os.environ.get(HTTPS_ENV):
            notes.append(f"note: {HTTPS_ENV} is set in the environment and overrides config.toml")
        else:
            app.config["HTTPS"] = https
        notes.append("restart 'gatekeeper serve' for this to take effect")
    data = _details(app, effective)
    data["notes"] = notes
    emit(data, as_json, _human)


def _cover(instance: Path, public_url: str) -> list[str]:
    """Re-issue the server certificate when it does not cover the public URL's host."""
    host = certificates.url_host(public_url)
    cert_path, _ = certificates.server_files(instance)
    try:
        if host and certificates.read_certificate(cert_path).covers(host):
            return []
        made = renew_certificate(instance, public_url)
    except certificates.CertificateError as exc:
        return [f"warning: the HTTPS certificate was not renewed: {exc}"]
    return [f"the HTTPS certificate now covers {', '.join([*made.dns, *map(str, made.addresses)])}"]


@click.group()
def certificate() -> None:
    """The HTTPS certificate for tablets on the setting's network, and the authority they trust."""


@certificate.command("show")
@instance_option
@json_option
def show_certificate(instance: str, as_json: bool) -> None:
    """The names and addresses the certificate covers, its expiry, and the authority's fingerprint."""
    summary = certificate_summary(Path(instance))
    if summary is None:
        raise CommandError(f"{instance} has no HTTPS certificate: run 'gatekeeper certificate renew'")
    emit(summary, as_json, lambda d: f"covers:    {', '.join(d['names'])}\nexpires:   {d['expires']}\n"
                                     f"authority: SHA-256 {d['authority_sha256']}")


@certificate.command("renew")
@instance_option
@click.option("--new-authority", is_flag=True,
              help="Make a new authority first (every tablet and phone must then trust it again).")
@json_option
def renew(instance: str, new_authority: bool, as_json: bool) -> None:
    """Issue the server certificate again for the box's current names and addresses."""
    app = open_app(instance)
    folder = Path(instance)
    public_url = app.config["PUBLIC_URL"]
    with transaction(app) as session:
        name = records.default_setting(session).name
    names = certificates.box_names(public_url)
    made_authority = certificates.create_authority(folder, name, names, replace=new_authority)
    try:
        made = certificates.issue_server_certificate(folder, names)
    except certificates.CertificateError as exc:
        raise CommandError(str(exc)) from None
    data = {**certificate_summary(folder), "new_authority": made_authority}
    emit(data, as_json, lambda d: "\n".join(
        (["a new authority was made: trust it again on every tablet and phone (Tablets page)"]
         if made_authority else [])
        + [f"certificate for {', '.join(d['names'])} until {made.not_after:%d %b %Y}",
           "restart 'gatekeeper serve' to use it"]))
