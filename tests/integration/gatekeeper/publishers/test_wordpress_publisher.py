"""The WordPress publisher against a real WordPress (Debian's package, MariaDB) served on loopback."""
from __future__ import annotations

import base64
import json
import shutil
import urllib.error
import urllib.request

import pytest

from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.base import PublishedRef, PublisherMisconfigured, PublisherUnavailable, new_object_name
from tests.integration.gatekeeper.publishers.wordpress_site import WORDPRESS, free_port, start_site
from tests.media_factory import plain_jpeg, upright_picture

pytestmark = pytest.mark.skipif(shutil.which("php") is None or not WORDPRESS.is_dir() or shutil.which("mysql") is None,
                                reason="scripts/test installs wordpress, php-cli, php-mysql and the MariaDB client")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from start_site(tmp_path_factory.mktemp("wordpress"))


@pytest.fixture
def password_env(site, monkeypatch):
    monkeypatch.setenv("GK_TEST_WP_PASSWORD", site.app_password)
    return "GK_TEST_WP_PASSWORD"


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "rendition.jpg"
    path.write_bytes(plain_jpeg(upright_picture((320, 240))))
    return path


def channel(site, password_env, **extra):
    return publisher_for({"kind": "wordpress", "url": site.url, "username": site.admin,
                          "app_password_env": password_env, **extra})


def api(site, path):
    token = base64.b64encode(f"{site.admin}:{site.app_password}".encode()).decode()
    request = urllib.request.Request(f"{site.url}/wp-json/wp/v2{path}", headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def files_named(site, object_name):
    stem = object_name.rsplit(".", 1)[0]
    return [p for p in site.uploads.rglob("*") if p.is_file() and p.name.startswith(stem)]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_a_photo_goes_to_the_media_library_with_its_caption_and_the_ids_are_kept(site, password_env, photo):
    publisher = channel(site, password_env)
    name = new_object_name(".jpg")

    ref = publisher.publish(photo, object_name=name, content_type="image/jpeg", caption="Painting outside")

    status, media = api(site, f"/media/{ref.remote['media_id']}?context=edit")
    assert status == 200
    assert media["title"]["raw"] == name
    assert media["caption"]["raw"] == "Painting outside"
    assert media["mime_type"] == "image/jpeg"
    assert media["source_url"] == ref.location
    assert fetch(ref.location) == (200, photo.read_bytes())
    assert publisher.exists(ref)


def test_takedown_deletes_the_media_for_good_and_every_file_wordpress_made(site, password_env, photo):
    publisher = channel(site, password_env)
    name = new_object_name(".jpg")
    ref = publisher.publish(photo, object_name=name, content_type="image/jpeg")
    assert files_named(site, name)

    publisher.remove(ref)

    assert api(site, f"/media/{ref.remote['media_id']}?context=edit")[0] == 404
    assert files_named(site, name) == []
    assert fetch(ref.location)[0] == 404
    assert publisher.exists(name) is False
    publisher.remove(ref)  # again: already gone is fine


def test_a_post_with_the_caption_is_made_when_asked_and_deleted_with_the_media(site, password_env, photo):
    publisher = channel(site, password_env, post=True, post_title="Our week")
    name = new_object_name(".jpg")

    ref = publisher.publish(photo, object_name=name, content_type="image/jpeg", caption="Tom & friends <3")

    status, post = api(site, f"/posts/{ref.remote['post_id']}?context=edit")
    assert status == 200 and post["status"] == "publish"
    assert post["title"]["raw"] == "Our week"
    assert post["featured_media"] == int(ref.remote["media_id"])
    assert "Tom &amp; friends &lt;3" in post["content"]["raw"]

    publisher.remove(ref)

    assert api(site, f"/posts/{ref.remote['post_id']}?context=edit")[0] == 404
    assert api(site, f"/media/{ref.remote['media_id']}?context=edit")[0] == 404


def test_publishing_the_same_name_again_makes_no_second_copy(site, password_env, photo):
    publisher = channel(site, password_env, post=True)
    name = new_object_name(".jpg")
    first = publisher.publish(photo, object_name=name, content_type="image/jpeg", caption="One")

    again = publisher.publish(photo, object_name=name, content_type="image/jpeg", caption="One")

    assert again.remote == first.remote
    assert len(api(site, f"/media?search={name.lstrip('-')}&context=edit")[1]) == 1
    publisher.remove(again)


def test_a_takedown_without_recorded_ids_finds_the_copies_by_name(site, password_env, photo):
    publisher = channel(site, password_env, post=True)
    name = new_object_name(".jpg")
    ref = publisher.publish(photo, object_name=name, content_type="image/jpeg")

    publisher.remove(PublishedRef(name, location=""))  # as after a crash before the ids were saved

    assert api(site, f"/media/{ref.remote['media_id']}?context=edit")[0] == 404
    assert api(site, f"/posts/{ref.remote['post_id']}?context=edit")[0] == 404
    assert files_named(site, name) == []


def test_check_passes_with_the_application_password_and_describe_names_no_secret(site, password_env):
    publisher = channel(site, password_env, post=True)
    publisher.check()
    assert site.url in publisher.describe()
    assert site.app_password not in publisher.describe()


def test_a_wrong_application_password_is_a_misconfiguration(site, monkeypatch, photo):
    monkeypatch.setenv("GK_TEST_WP_WRONG", "abcd efgh ijkl mnop qrst uvwx")
    publisher = channel(site, "GK_TEST_WP_WRONG")
    with pytest.raises(PublisherMisconfigured, match="refused the user 'gatekeeper-admin'"):
        publisher.check()
    with pytest.raises(PublisherMisconfigured, match="refused"):
        publisher.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")


def test_an_address_without_wordpress_is_a_misconfiguration(site, password_env):
    publisher = publisher_for({"kind": "wordpress", "url": f"{site.url}/no-such-blog", "username": site.admin,
                               "app_password_env": password_env})
    with pytest.raises(PublisherMisconfigured):
        publisher.check()


def test_a_site_that_is_down_is_retryable_for_publish_and_takedown(password_env, photo):
    publisher = publisher_for({"kind": "wordpress", "url": f"http://127.0.0.1:{free_port()}", "username": "x",
                               "app_password_env": password_env, "timeout_s": 5})
    name = new_object_name(".jpg")
    with pytest.raises(PublisherUnavailable, match="cannot reach"):
        publisher.publish(photo, object_name=name, content_type="image/jpeg")
    with pytest.raises(PublisherUnavailable, match="cannot reach"):
        publisher.remove(PublishedRef(name, "", {"media_id": "7"}))
    with pytest.raises(PublisherUnavailable):
        publisher.check()
