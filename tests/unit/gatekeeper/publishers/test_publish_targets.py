"""Channel targets: the registry builds the right publisher, and a malformed target says what is wrong."""
from __future__ import annotations

import logging

import pytest

from gatekeeper.publishers import PUBLISHERS, default_target, publisher_for
from gatekeeper.publishers.base import InvalidTarget, PublisherMisconfigured
from gatekeeper.publishers.local_folder import LocalFolderPublisher
from gatekeeper.publishers.s3 import S3Publisher


def test_the_registry_names_every_publisher_kind():
    assert {"local", "s3", "display", "family_gallery", "wordpress", "facebook", "newsletter"} <= set(PUBLISHERS)


def test_a_local_target_makes_a_local_folder_publisher(tmp_path):
    publisher = publisher_for({"kind": "local", "path": str(tmp_path / "www")})
    assert isinstance(publisher, LocalFolderPublisher)
    assert publisher.folder == tmp_path / "www"


def test_an_s3_target_makes_an_s3_publisher_with_every_setting():
    publisher = publisher_for({
        "kind": "s3", "bucket": "setting-website", "prefix": "/photos/2024/", "region": "eu-west-2",
        "endpoint_url": "https://s3.example.org", "cache_control": "max-age=60", "addressing_style": "virtual",
    })
    assert isinstance(publisher, S3Publisher)
    assert (publisher.bucket, publisher.prefix, publisher.region, publisher.endpoint_url, publisher.public_read) == (
        "setting-website", "photos/2024/", "eu-west-2", "https://s3.example.org", False)
    assert "setting-website" in publisher.describe() and "private objects" in publisher.describe()


def test_a_public_read_target_is_allowed_but_warned_about(caplog):
    with caplog.at_level(logging.WARNING):
        publisher = publisher_for({"kind": "s3", "bucket": "setting-website", "public_read": True})
    assert publisher.public_read is True
    assert "world-readable" in caplog.text


def test_a_channel_without_a_target_publishes_under_channels_dir(tmp_path):
    target = default_target(tmp_path / "channels", "newsletter")
    assert target == {"kind": "local", "path": str(tmp_path / "channels" / "newsletter")}
    assert publisher_for(target).folder == tmp_path / "channels" / "newsletter"


@pytest.mark.parametrize("slug", ["../up", "News Letter", "", "a/b", None, "Website"])
def test_a_slug_that_cannot_name_a_folder_is_refused(tmp_path, slug):
    with pytest.raises(InvalidTarget, match="cannot name a folder"):
        default_target(tmp_path, slug)


@pytest.mark.parametrize("target, message", [
    (None, "must be a JSON object"),
    ("s3://bucket", "must be a JSON object"),
    ({}, "needs a kind"),
    ({"kind": 3}, "needs a kind"),
    ({"kind": "ftp"}, "unknown channel target kind 'ftp'; known kinds: .*local, newsletter, s3, wordpress"),
    ({"kind": "local"}, "the local target needs path"),
    ({"kind": "local", "path": ""}, "the local target needs path"),
    ({"kind": "local", "path": "relative/www"}, "must be absolute"),
    ({"kind": "local", "path": 7}, "path in the local target must be str"),
    ({"kind": "local", "path": "/srv/www", "pth": "/x"}, "unknown field\\(s\\) pth"),
    ({"kind": "s3"}, "the s3 target needs bucket"),
    ({"kind": "s3", "bukcet": "photos"}, "unknown field\\(s\\) bukcet"),
    ({"kind": "s3", "bucket": "Photos_2024"}, "not a valid S3 bucket name"),
    ({"kind": "s3", "bucket": "192.168.1.1"}, "not a valid S3 bucket name"),
    ({"kind": "s3", "bucket": "photos", "prefix": "../other"}, "prefix"),
    ({"kind": "s3", "bucket": "photos", "public_read": "yes"}, "public_read in the s3 target must be bool"),
    ({"kind": "s3", "bucket": "photos", "endpoint_url": "minio:9000"}, "http:// or https://"),
    ({"kind": "s3", "bucket": "photos", "endpoint_url": "https://key:secret@minio"}, "must not contain credentials"),
    ({"kind": "s3", "bucket": "photos", "addressing_style": "dns"}, "addressing_style must be one of"),
])
def test_a_malformed_target_is_refused_with_a_sentence(target, message):
    with pytest.raises(InvalidTarget, match=message):
        publisher_for(target)


@pytest.mark.parametrize("field", ["aws_secret_access_key", "aws_access_key_id", "secret_key", "password"])
def test_credentials_in_a_target_are_refused_and_never_echoed(field):
    with pytest.raises(InvalidTarget, match="must not hold credentials") as caught:
        publisher_for({"kind": "s3", "bucket": "photos", field: "AKIA-SECRET-VALUE"})
    assert "AKIA-SECRET-VALUE" not in str(caught.value)


def test_an_invalid_target_is_a_kind_of_misconfiguration():
    assert issubclass(InvalidTarget, PublisherMisconfigured)
