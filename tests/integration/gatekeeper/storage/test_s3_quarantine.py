"""The S3 quarantine against a real S3 server on loopback (moto): sealed before it leaves, private, fully deleted."""
from __future__ import annotations

import os

import pytest
from boto3.s3.transfer import TransferConfig

from gatekeeper import aws_s3
from gatekeeper.storage import quarantine_from_config
from gatekeeper.storage.base import ItemNotFound, QuarantineMisconfigured, QuarantineUnavailable
from gatekeeper.storage.envelope import Keyring, Tampered, key_id
from gatekeeper.storage.rotation import rewrap
from gatekeeper.storage.s3 import S3Quarantine

KEY = bytes(range(32))
MB = 1024 * 1024


@pytest.fixture
def face_photo(tmp_path):
    # Stands in for a child's photo: a recognisable marker repeated, so any leak would show.
    path = tmp_path / "child.jpg"
    path.write_bytes(b"\xff\xd8" + b"FACE-OF-A-CHILD-" * 4000 + b"\xff\xd9")
    return path


def store_for(bucket, endpoint, key=KEY, prefix="quarantine", **options):
    return S3Quarantine(Keyring(key), bucket=bucket, prefix=prefix, endpoint_url=endpoint,
                        region="eu-west-2", **options)


def versions(client, bucket, key):
    answer = client.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in answer.get("Versions", []) + answer.get("DeleteMarkers", []) if v["Key"] == key]


def test_an_item_round_trips_and_the_bucket_holds_only_ciphertext(plain_bucket, s3_endpoint, s3_client, face_photo, tmp_path):
    store = store_for(plain_bucket, s3_endpoint)
    store.put("item-1", face_photo)

    assert store.open_bytes("item-1") == face_photo.read_bytes()
    store.fetch_to("item-1", tmp_path / "back.jpg")
    assert (tmp_path / "back.jpg").read_bytes() == face_photo.read_bytes()
    stored = s3_client.get_object(Bucket=plain_bucket, Key="quarantine/item-1")
    raw = stored["Body"].read()
    assert b"FACE-OF-A-CHILD" not in raw
    # The photo's own first 32 bytes (its JPEG header): two bytes such as FF D8 turn up in random
    # ciphertext often enough to fail one run in a few hundred.
    assert face_photo.read_bytes()[:32] not in raw
    assert stored["Metadata"] == {}


def test_objects_get_no_public_grant(plain_bucket, s3_endpoint, s3_client, face_photo):
    store_for(plain_bucket, s3_endpoint).put("item-1", face_photo)
    grants = s3_client.get_object_acl(Bucket=plain_bucket, Key="quarantine/item-1")["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants)


def test_a_video_sized_item_streams_through_multipart_upload(plain_bucket, s3_endpoint, s3_client, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(os.urandom(12 * MB + 123))
    small_parts = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=2)
    store = store_for(plain_bucket, s3_endpoint, transfer=small_parts)

    store.put("clip", video)

    etag = s3_client.head_object(Bucket=plain_bucket, Key="quarantine/clip")["ETag"]
    assert "-" in etag  # a multipart object's ETag carries its part count
    store.fetch_to("clip", tmp_path / "clip-back.mp4")
    assert (tmp_path / "clip-back.mp4").read_bytes() == video.read_bytes()


def test_replacing_and_deleting_leave_no_old_versions_behind(versioned_bucket, s3_endpoint, s3_client, face_photo):
    store = store_for(versioned_bucket, s3_endpoint)
    store.put("item-1", face_photo)
    store.put("item-1", face_photo)
    assert len(versions(s3_client, versioned_bucket, "quarantine/item-1")) == 1

    store.delete("item-1")
    store.delete("item-1")

    assert versions(s3_client, versioned_bucket, "quarantine/item-1") == []
    assert store.exists("item-1") is False
    with pytest.raises(ItemNotFound):
        store.open_bytes("item-1")


def test_keys_lists_items_under_the_prefix_only(plain_bucket, s3_endpoint, s3_client, face_photo):
    store = store_for(plain_bucket, s3_endpoint)
    store.put("a", face_photo)
    store.put("b", face_photo)
    s3_client.put_object(Bucket=plain_bucket, Key="elsewhere/c", Body=b"x")
    s3_client.put_object(Bucket=plain_bucket, Key="quarantine/not an item/x", Body=b"x")
    assert sorted(store.keys()) == ["a", "b"]


def test_an_object_moved_to_another_item_key_does_not_open(plain_bucket, s3_endpoint, s3_client, face_photo):
    store = store_for(plain_bucket, s3_endpoint)
    store.put("item-1", face_photo)
    s3_client.copy_object(Bucket=plain_bucket, Key="quarantine/item-2",
                          CopySource={"Bucket": plain_bucket, "Key": "quarantine/item-1"})
    with pytest.raises(Tampered):
        store.open_bytes("item-2")


def test_rewrap_moves_every_object_to_the_new_key(versioned_bucket, s3_endpoint, s3_client, face_photo):
    store = store_for(versioned_bucket, s3_endpoint)
    store.put("a", face_photo)
    store.put("b", face_photo)
    new_key = os.urandom(32)

    report = rewrap(store, KEY, new_key)

    assert (report.rewrapped, report.already, report.failed) == (2, 0, {})
    after = store_for(versioned_bucket, s3_endpoint, key=new_key)
    assert after.open_bytes("a") == face_photo.read_bytes()
    raw = s3_client.get_object(Bucket=versioned_bucket, Key="quarantine/a")["Body"].read()
    assert key_id(new_key) in raw[:100]
    assert len(versions(s3_client, versioned_bucket, "quarantine/a")) == 1


def test_the_store_is_chosen_by_quarantine_url(plain_bucket, s3_endpoint, face_photo, tmp_path):
    store = quarantine_from_config({
        "QUARANTINE_URL": f"s3://{plain_bucket}/q", "QUARANTINE_DIR": str(tmp_path),
        "QUARANTINE_S3_ENDPOINT_URL": s3_endpoint, "QUARANTINE_S3_REGION": "eu-west-2",
        "DATA_KEY": KEY, "INSTANCE_PATH": str(tmp_path),
    })
    store.check()
    store.put("item-1", face_photo)
    assert list(store.keys()) == ["item-1"]


def test_check_refuses_a_bucket_that_grants_everyone_access(plain_bucket, s3_endpoint, s3_client):
    s3_client.put_bucket_acl(Bucket=plain_bucket, ACL="public-read")
    with pytest.raises(QuarantineMisconfigured, match="grants access to everyone"):
        store_for(plain_bucket, s3_endpoint).check()


def test_a_missing_bucket_is_a_misconfiguration_said_plainly(s3_endpoint, face_photo):
    store = store_for("gk-no-such-quarantine", s3_endpoint)
    with pytest.raises(QuarantineMisconfigured, match="bucket 'gk-no-such-quarantine' does not exist"):
        store.check()
    with pytest.raises(QuarantineMisconfigured, match="does not exist"):
        store.put("item-1", face_photo)
    with pytest.raises(QuarantineMisconfigured, match="does not exist"):
        store.open_bytes("item-1")


def test_an_unreachable_endpoint_is_retryable(closed_endpoint, aws_credentials, face_photo):
    client = aws_s3.make_client(endpoint_url=closed_endpoint, region="eu-west-2", max_attempts=1)
    store = S3Quarantine(Keyring(KEY), bucket="quarantine", endpoint_url=closed_endpoint, client=client)
    for attempt in (store.check, lambda: store.put("x", face_photo), lambda: store.open_bytes("x"),
                    lambda: list(store.keys()), lambda: store.delete("x"), lambda: store.exists("x")):
        with pytest.raises(QuarantineUnavailable, match="cannot reach the S3 endpoint"):
            attempt()
