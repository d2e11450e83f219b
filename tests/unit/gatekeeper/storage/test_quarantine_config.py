"""QUARANTINE_URL picks the store; a bad setting is a clear error, found before anything is stored."""
from __future__ import annotations

import pytest

from gatekeeper import config as config_module
from gatekeeper.storage import STORES, quarantine_from_config
from gatekeeper.storage.base import QuarantineMisconfigured
from gatekeeper.storage.local import LocalQuarantine
from gatekeeper.storage.s3 import S3Quarantine

KEY = bytes(range(32))


@pytest.fixture
def settings(tmp_path):
    values = config_module.load(tmp_path / "instance", environ={})
    values["DATA_KEY"] = KEY
    return values


def test_the_default_is_the_local_folder_quarantine_dir(settings, tmp_path):
    store = quarantine_from_config(settings)
    assert isinstance(store, LocalQuarantine)
    assert store.folder == tmp_path / "instance" / "quarantine"


def test_the_environment_chooses_an_s3_bucket_with_its_endpoint_and_region(tmp_path):
    settings = config_module.load(tmp_path / "instance", environ={
        "GATEKEEPER_QUARANTINE_URL": "s3://setting-quarantine/media/originals",
        "GATEKEEPER_QUARANTINE_S3_ENDPOINT_URL": "http://minio:9000",
        "GATEKEEPER_QUARANTINE_S3_REGION": "eu-west-2",
    })
    store = quarantine_from_config({**settings, "DATA_KEY": KEY})
    assert isinstance(store, S3Quarantine)
    assert (store.bucket, store.prefix, store.endpoint_url, store.region) == (
        "setting-quarantine", "media/originals/", "http://minio:9000", "eu-west-2")


def test_a_relative_folder_is_inside_the_instance(settings, tmp_path):
    store = quarantine_from_config({**settings, "QUARANTINE_URL": "sealed"})
    assert store.folder == tmp_path / "instance" / "sealed"


def test_a_file_url_names_a_folder(settings, tmp_path):
    store = quarantine_from_config({**settings, "QUARANTINE_URL": f"file://{tmp_path}/elsewhere"})
    assert store.folder == tmp_path / "elsewhere"


def test_a_pending_rotation_key_may_open_but_the_data_key_seals(settings):
    pending = bytes(32)
    store = quarantine_from_config({**settings, "DATA_KEY_PENDING": pending})
    assert store.keyring.current == KEY
    assert store.keyring.older == (pending,)


def test_the_registry_names_every_store_kind():
    assert set(STORES) == {"local", "s3"}


@pytest.mark.parametrize("url, message", [
    ("gs://bucket/x", "unknown scheme 'gs'"),
    ("s3:///prefix", "not a valid S3 bucket name"),
    ("s3://Bad_Bucket/x", "not a valid S3 bucket name"),
    ("s3://bucket/../up", "prefix"),
    ("s3://bucket/x?versionId=1", "without ? or #"),
])
def test_an_unusable_quarantine_url_is_refused_with_a_reason(settings, url, message):
    with pytest.raises(QuarantineMisconfigured, match=message.replace("?", r"\?")):
        quarantine_from_config({**settings, "QUARANTINE_URL": url})


def test_an_endpoint_that_is_not_an_http_url_is_refused(settings):
    with pytest.raises(QuarantineMisconfigured, match="http:// or https://"):
        quarantine_from_config({**settings, "QUARANTINE_URL": "s3://bucket/x",
                                "QUARANTINE_S3_ENDPOINT_URL": "minio:9000"})


@pytest.mark.parametrize("key", [None, b"short", "not bytes" * 4])
def test_an_unusable_data_key_is_refused(settings, key):
    with pytest.raises(QuarantineMisconfigured, match="data key is unusable"):
        quarantine_from_config({**settings, "DATA_KEY": key})
