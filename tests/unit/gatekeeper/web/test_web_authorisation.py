"""Every route, every role: only the roles a route is for get past its door; everyone else is sent to
sign in, refused (403) or told there is nothing there (404). A parent of another family never reaches
a child that is not theirs by changing an id in a URL."""
from __future__ import annotations

import io

import pytest

from consent_db import devices, records
from consent_db.audit import CLI
from consent_db.models import Channel, SessionStage
from gatekeeper.database import transaction
from gatekeeper.web.current import DEVICE_COOKIE
from tests.web_world import csrf_token, post, sign_in_directly

PUBLIC = {"auth.home", "auth.signin", "auth.accept_invitation", "device.status", "device.pair", "health.healthz",
          "health.readyz", "password_reset.forgot", "password_reset.choose",
          "static", "trust.instructions", "trust.authority_certificate", "trust.apple_profile"}
# Sign-in steps work on a half-finished sign-in; fully signed-in or anonymous callers are sent onwards.
SIGN_IN_STEPS = {"auth.password", "auth.two_factor", "auth.two_factor_setup", "auth.signout", "auth.two_factor_renew"}
MANAGER_ONLY_PREFIXES = ("manager_",)
ROLES = ("anonymous", "staff_on_tablet", "staff_without_tablet", "manager", "manager_before_two_factor", "parent",
         "parent_of_another_family", "display")
# Routes that serve one published item by name: the walk's made-up name is rightly not found.
BY_PUBLISHED_NAME = {"parents.gallery_file", "display.picture", "parents.photo", "parents.photo_file"}


def allowed_roles(endpoint: str) -> set[str]:
    if endpoint.startswith(MANAGER_ONLY_PREFIXES):
        return {"manager"}
    if endpoint.startswith("staff."):
        return {"staff_on_tablet"}
    if endpoint.startswith("parents."):
        return {"parent"}
    if endpoint in ("media.item_thumbnail", "media.item_file"):
        return {"manager", "staff_on_tablet"}
    if endpoint == "media.item_frame":
        return {"manager"}
    if endpoint.startswith("display."):
        return {"display"}
    if endpoint in ("notifications.inbox", "notifications.email_choice"):
        # Everyone signed in reads their own notifications; only a Manager may ask for a daily summary
        # (the walk posts no choice, which means one email per notification).
        return {"staff_on_tablet", "manager", "parent", "parent_of_another_family"}
    raise AssertionError(f"no access rule for {endpoint}: add it to this test")


def client_for(app, world, role):
    client = app.test_client()
    if role == "staff_on_tablet":
        sign_in_directly(app, client, world.staff_id, device_token=world.device_token)
    elif role == "staff_without_tablet":
        sign_in_directly(app, client, world.staff_id)
    elif role == "manager":
        sign_in_directly(app, client, world.manager_id)
    elif role == "manager_before_two_factor":
        sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP)
    elif role == "parent":
        sign_in_directly(app, client, world.parent_id)
    elif role == "parent_of_another_family":
        sign_in_directly(app, client, world.other_parent_id)
    elif role == "display":
        with transaction(app) as db:
            channel = records.add_channel(db, setting_id=world.setting_id, slug="entrance", name="Entrance",
                                          description="The entrance screen.", target={"kind": "display"}, actor=CLI)
            code = devices.issue_pairing_code(db, setting_id=world.setting_id, actor=CLI,
                                              display_channel_id=channel.id)
            client.set_cookie(DEVICE_COOKIE, devices.pair_device(db, code=code, name="Entrance screen"))
    return client


# Run last, in this order: each would spoil the requests after it.
DESTRUCTIVE = ("staff.cancel_upload", "manager_queue.reject", "manager_devices.revoke", "manager_accounts.disable",
               "manager_people.archive_guardian", "manager_people.archive", "manager_channels.archive", "auth.signout")


def values_for(rule, world, ids) -> dict:
    samples = {"child_id": world.child_id, "person_id": world.child_id, "device_id": world.device_id,
               "account_id": world.other_parent_id, "token": "not-a-real-token", "filename": "app.css",
               "invitation_id": 1, "object_name": "A" * 24 + ".jpg", "channel_id": world.newsletter_id,
               "guardian_id": world.guardian_id,
               "upload_id": ids["upload"], "index": 0, "publication_id": 1,
               "public_id": ids["video"] if rule.endpoint == "media.item_frame" else ids["photo"]}
    return {name: samples[name] for name in rule.arguments}


def requests_for(app):
    """(endpoint, method, rule) for every route, the destructive ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    order = {endpoint: n for n, endpoint in enumerate(DESTRUCTIVE, start=1)}
    return sorted(found, key=lambda r: (order.get(r[0], 0), r[0], r[1]))


def upload(app, client, data, name):
    return post(app, client, "/staff/upload", {"file": (io.BytesIO(data), name)},
                headers={"Accept": "application/json"}, content_type="multipart/form-data").json["id"]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_every_role_as_it_should(app, world, fake_faces, photo_bytes, video_bytes, role):
    with transaction(app) as db:  # the newsletter pages need a channel that sends by email
        db.get(Channel, world.newsletter_id).target = {
            "kind": "newsletter", "host": "127.0.0.1", "port": 2525, "security": "none",
            "sender": "office@acorns.test", "recipients": ["anne@family.test"]}
    uploader = client_for(app, world, "staff_on_tablet")
    ids = {"photo": upload(app, uploader, photo_bytes, "p.jpg"), "video": upload(app, uploader, video_bytes, "v.mp4")}
    started = uploader.post("/staff/upload/start", json={"name": "c.jpg", "size": 10, "type": "image/jpeg"},
                            headers={"X-CSRFToken": csrf_token(app, uploader)})
    ids["upload"] = started.json["id"]
    client = client_for(app, world, role)
    problems = []
    for endpoint, method, rule in requests_for(app):
        url = rule.build(values_for(rule, world, ids), append_unknown=False)[1]
        if endpoint == "media.item_frame":
            url += "?t=0"
        if method == "GET":
            response = client.get(url)
        elif method == "POST":
            response = post(app, client, url, {})
        else:
            response = client.open(url, method=method, headers={"X-CSRFToken": csrf_token(app, client)})
        status, location = response.status_code, response.headers.get("Location", "")
        answer = f"{method} {url} as {role}: {status} {location}"
        if status >= 500:
            problems.append(answer)
        elif endpoint in PUBLIC or endpoint in SIGN_IN_STEPS:
            if status == 403:
                problems.append(answer)
        elif role in allowed_roles(endpoint):
            if endpoint in BY_PUBLISHED_NAME and status == 404:
                continue
            if status in (401, 403, 404) or location.startswith("/signin"):
                problems.append(answer)
        elif endpoint.startswith("display."):
            if status != 404:
                problems.append(answer)
        elif role == "parent_of_another_family" and endpoint.startswith("parents."):
            if endpoint != "parents.family" and status != 404:
                problems.append(answer)
            if endpoint == "parents.family" and ("Ada" in response.data.decode()):
                problems.append(answer + " (shows the other family's child)")
        elif role in ("anonymous", "staff_without_tablet", "manager_before_two_factor", "display"):
            if endpoint.startswith("media."):
                if status != 403:
                    problems.append(answer)
            elif not (status == 302 and location.startswith("/signin")):
                problems.append(answer)
        elif status not in (403, 404):
            problems.append(answer)
    assert problems == []


def test_the_walk_covers_every_blueprint(app):
    endpoints = {endpoint for endpoint, _, _ in requests_for(app)}
    for endpoint in endpoints - PUBLIC - SIGN_IN_STEPS:
        assert allowed_roles(endpoint)
    assert {"staff.upload_file", "manager_queue.approve", "parents.decide", "media.item_file"} <= endpoints
