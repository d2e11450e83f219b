"""S3 errors become our own at the adapter's edge: retryable or not, in a plain sentence, or left alone."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ParamValidationError

from gatekeeper import aws_s3
from gatekeeper.publishers.base import PublisherMisconfigured, PublisherUnavailable, new_object_name
from gatekeeper.publishers.s3 import S3Publisher
from gatekeeper.storage.base import QuarantineMisconfigured, QuarantineUnavailable
from gatekeeper.storage.envelope import Keyring
from gatekeeper.storage.s3 import S3Quarantine


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


@pytest.mark.parametrize("exc, failure", [
    (client_error("NoSuchBucket", 404), aws_s3.Failure.NO_BUCKET),
    (client_error("404", 404), aws_s3.Failure.NOT_FOUND),
    (client_error("AccessDenied", 403), aws_s3.Failure.DENIED),
    (client_error("InvalidAccessKeyId", 403), aws_s3.Failure.DENIED),
    (client_error("PermanentRedirect", 301), aws_s3.Failure.BAD_SETTINGS),
    (client_error("PreconditionFailed", 412), aws_s3.Failure.PRECONDITION),
    (client_error("SlowDown", 503), aws_s3.Failure.BUSY),
    (client_error("SomethingNew", 502), aws_s3.Failure.BUSY),
    (client_error("NotImplemented", 501), aws_s3.Failure.NOT_SUPPORTED),
    (NoCredentialsError(), aws_s3.Failure.NO_CREDENTIALS),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), aws_s3.Failure.UNREACHABLE),
    (client_error("SomethingNew", 400), None),
    (ParamValidationError(report="bad"), None),
])
def test_errors_are_classified(exc, failure):
    assert aws_s3.classify(exc) is failure


def test_only_unreachable_and_busy_are_retryable():
    assert {f for f in aws_s3.Failure if f.retryable} == {aws_s3.Failure.UNREACHABLE, aws_s3.Failure.BUSY}


class FailingClient:
    """Stands in for a boto3 client whose every call raises the given error."""

    def __init__(self, exc):
        self.exc = exc

    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise self.exc

        return call


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "clean.jpg"
    path.write_bytes(b"bytes")
    return path


def test_access_denied_is_a_misconfiguration_naming_the_bucket_and_the_fix(photo):
    publisher = S3Publisher(bucket="photos", client=FailingClient(client_error("AccessDenied", 403)))
    with pytest.raises(PublisherMisconfigured, match="access to bucket 'photos' was denied while publishing "
                                                     r"\(AccessDenied\): check the AWS credentials"):
        publisher.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")


def test_a_busy_service_is_retryable(photo):
    publisher = S3Publisher(bucket="photos", client=FailingClient(client_error("SlowDown", 503)))
    with pytest.raises(PublisherUnavailable, match="can be retried later"):
        publisher.remove(new_object_name(".jpg"))


def test_an_error_we_do_not_understand_is_not_disguised(photo):
    publisher = S3Publisher(bucket="photos", client=FailingClient(client_error("SomethingNew", 400)))
    with pytest.raises(ClientError):
        publisher.exists(new_object_name(".jpg"))


def test_the_quarantine_translates_into_its_own_errors(photo):
    denied = S3Quarantine(Keyring(bytes(32)), bucket="q", client=FailingClient(client_error("AccessDenied", 403)))
    busy = S3Quarantine(Keyring(bytes(32)), bucket="q", client=FailingClient(client_error("InternalError", 500)))
    with pytest.raises(QuarantineMisconfigured, match="denied"):
        denied.put("item-1", photo)
    with pytest.raises(QuarantineUnavailable, match="retried"):
        busy.open_bytes("item-1")


def test_a_store_that_cannot_list_versions_still_removes_the_object():
    calls = []

    class NoVersions:
        def get_paginator(self, name):
            raise client_error("NotImplemented", 501)

        def delete_object(self, **kwargs):
            calls.append(kwargs)

    aws_s3.delete_every_version(NoVersions(), "photos", "a.jpg")
    assert calls == [{"Bucket": "photos", "Key": "a.jpg"}]


@pytest.mark.parametrize("prefix, expected", [(None, ""), ("", ""), ("a", "a/"), ("/a/b/", "a/b/")])
def test_prefixes_are_normalised(prefix, expected):
    assert aws_s3.normalise_prefix(prefix) == expected


@pytest.mark.parametrize("prefix", ["a/../b", "a//b", "a b", 5])
def test_prefixes_that_could_escape_or_confuse_are_refused(prefix):
    with pytest.raises(ValueError):
        aws_s3.normalise_prefix(prefix)


def test_a_version_the_store_refuses_to_delete_fails_the_takedown_loudly():
    class RefusesDeletes:
        def get_paginator(self, name):
            class Pages:
                def paginate(self, Bucket, Prefix):
                    return [{"Versions": [{"Key": Prefix, "VersionId": "v1", "IsLatest": True}]}]

            return Pages()

        def delete_objects(self, **kwargs):
            key = kwargs["Delete"]["Objects"][0]["Key"]
            return {"Errors": [{"Key": key, "VersionId": "v1", "Code": "AccessDenied", "Message": "no"}]}

    publisher = S3Publisher(bucket="photos", client=RefusesDeletes())
    with pytest.raises(PublisherMisconfigured, match="denied while taking an object down"):
        publisher.remove("a" * 24 + ".jpg")
