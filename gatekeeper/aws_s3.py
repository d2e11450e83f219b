"""S3 plumbing shared by the channel publisher and the quarantine store: one client recipe, one error translation."""
from __future__ import annotations

import re
from enum import Enum
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ValidationError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

# Bucket names as S3 accepts them for new buckets (no dotted IP look-alikes, no uppercase).
_BUCKET = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9._-]+$")
_ADDRESSING = ("auto", "path", "virtual")


class Failure(Enum):
    """What went wrong, in the terms an adapter maps to its own exceptions."""

    NO_BUCKET = "no_bucket"
    NOT_FOUND = "not_found"
    DENIED = "denied"
    NO_CREDENTIALS = "no_credentials"
    UNREACHABLE = "unreachable"
    BUSY = "busy"
    BAD_SETTINGS = "bad_settings"
    PRECONDITION = "precondition"
    NOT_SUPPORTED = "not_supported"

    @property
    def retryable(self) -> bool:
        return self in (Failure.UNREACHABLE, Failure.BUSY)


_CODES = {
    "NoSuchBucket": Failure.NO_BUCKET,
    "NoSuchKey": Failure.NOT_FOUND,
    "NotFound": Failure.NOT_FOUND,
    "404": Failure.NOT_FOUND,
    "AccessDenied": Failure.DENIED,
    "403": Failure.DENIED,
    "Forbidden": Failure.DENIED,
    "InvalidAccessKeyId": Failure.DENIED,
    "SignatureDoesNotMatch": Failure.DENIED,
    "AllAccessDisabled": Failure.DENIED,
    "AccountProblem": Failure.DENIED,
    "ExpiredToken": Failure.DENIED,
    "InvalidToken": Failure.DENIED,
    "AccessControlListNotSupported": Failure.BAD_SETTINGS,
    "InvalidBucketName": Failure.BAD_SETTINGS,
    "PermanentRedirect": Failure.BAD_SETTINGS,
    "301": Failure.BAD_SETTINGS,
    "AuthorizationHeaderMalformed": Failure.BAD_SETTINGS,
    "IllegalLocationConstraintException": Failure.BAD_SETTINGS,
    "PreconditionFailed": Failure.PRECONDITION,
    "412": Failure.PRECONDITION,
    "NotImplemented": Failure.NOT_SUPPORTED,
    "501": Failure.NOT_SUPPORTED,
    "SlowDown": Failure.BUSY,
    "Throttling": Failure.BUSY,
    "RequestTimeout": Failure.BUSY,
    "ServiceUnavailable": Failure.BUSY,
    "InternalError": Failure.BUSY,
    "503": Failure.BUSY,
    "500": Failure.BUSY,
}


def classify(exc: BaseException) -> Failure | None:
    """Map a boto3/botocore error to a Failure; None for errors we do not understand."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _CODES:
            return _CODES[code]
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return Failure.BUSY if status >= 500 else None
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)):
        return Failure.NO_CREDENTIALS
    if isinstance(exc, (BotoConnectionError, EndpointConnectionError, HTTPClientError, ConnectionClosedError)):
        return Failure.UNREACHABLE
    if isinstance(exc, ValidationError):
        return Failure.BAD_SETTINGS
    return None


def error_code(exc: BaseException) -> str:
    """The S3 error code of a ClientError, for messages; the class name otherwise."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "unknown"))
    return exc.__class__.__name__


def sentence(failure: Failure, exc: BaseException, *, action: str, bucket: str, endpoint: str | None) -> str:
    """A plain sentence for an operator; never includes credentials."""
    where = endpoint or "AWS S3"
    if failure is Failure.NO_BUCKET:
        return f"the bucket '{bucket}' does not exist at {where}: create it or correct the bucket name"
    if failure is Failure.NOT_FOUND:
        return f"the object was not found in bucket '{bucket}' while {action}"
    if failure is Failure.DENIED:
        return (f"access to bucket '{bucket}' was denied while {action} ({error_code(exc)}): "
                "check the AWS credentials and the bucket policy")
    if failure is Failure.NO_CREDENTIALS:
        return ("no usable AWS credentials were found: provide them through the environment, "
                "~/.aws/credentials or an instance role, never in the configuration file")
    if failure is Failure.UNREACHABLE:
        return f"cannot reach the S3 endpoint {where} while {action}: check the network and the endpoint URL"
    if failure is Failure.BUSY:
        return f"the S3 service at {where} failed while {action} ({error_code(exc)}): it can be retried later"
    if failure is Failure.NOT_SUPPORTED:
        return f"the S3 service at {where} does not support a request needed while {action} ({error_code(exc)})"
    return f"the S3 settings for bucket '{bucket}' are not usable while {action} ({error_code(exc)}): check the region and endpoint"


def translate(exc: BaseException, *, action: str, bucket: str, endpoint: str | None,
              unavailable: type[Exception], misconfigured: type[Exception]) -> Exception | None:
    """The adapter's own exception for exc, or None when exc is not understood (re-raise it)."""
    failure = classify(exc)
    if failure is None:
        return None
    kind = unavailable if failure.retryable else misconfigured
    return kind(sentence(failure, exc, action=action, bucket=bucket, endpoint=endpoint))


def bucket_problem(bucket: Any) -> str | None:
    """Why bucket is not a usable S3 bucket name, or None when it is."""
    if not isinstance(bucket, str) or not _BUCKET.match(bucket) or ".." in bucket:
        return f"{bucket!r} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots or hyphens)"
    return None


def normalise_prefix(prefix: Any) -> str:
    """'' or 'a/b/' from a user's prefix; raises ValueError for anything that could escape it."""
    if prefix is None or prefix == "":
        return ""
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be text, got {type(prefix).__name__}")
    parts = [part for part in prefix.strip("/").split("/")]
    if not all(_PREFIX_PART.match(part) and part not in (".", "..") for part in parts):
        raise ValueError(f"prefix {prefix!r} may only hold letters, digits, '.', '_', '-' and '/' between names")
    return "/".join(parts) + "/"


def endpoint_problem(endpoint_url: Any) -> str | None:
    """Why endpoint_url is not an http(s) URL of a host, or None when it is."""
    if endpoint_url is None:
        return None
    if not isinstance(endpoint_url, str):
        return f"endpoint_url must be text, got {type(endpoint_url).__name__}"
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"endpoint_url {endpoint_url!r} must be an http:// or https:// URL with a host"
    if parts.username or parts.password:
        return "endpoint_url must not contain credentials; use the standard AWS credential chain"
    return None


def addressing_problem(style: Any) -> str | None:
    if style is None or style in _ADDRESSING:
        return None
    return f"addressing_style must be one of {', '.join(_ADDRESSING)}, got {style!r}"


def make_client(*, region: str | None = None, endpoint_url: str | None = None,
                addressing_style: str | None = None, max_attempts: int = 3):
    """An S3 client using the standard credential chain; raises botocore errors for bad settings."""
    # S3-compatible stores behind a custom endpoint rarely resolve bucket sub-domains.
    style = addressing_style or ("path" if endpoint_url else "auto")
    config = Config(
        region_name=region or None,
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": style},
        # Newer default checksums are refused by several S3-compatible stores.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # A session of our own: the default session is shared, and not safe to share across threads.
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url or None, config=config)


def versions_of(client, bucket: str, key: str) -> Iterator[dict[str, str]]:
    """Every version and delete marker of exactly key (not of keys that merely start with it)."""
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if entry["Key"] == key:
                yield {"Key": key, "VersionId": entry["VersionId"], "IsLatest": entry.get("IsLatest", False)}


def delete_versions(client, bucket: str, versions: list[dict[str, str]]) -> None:
    """Delete the given versions in batches; raises ClientError for the first one S3 refused."""
    for start in range(0, len(versions), 1000):
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions[start:start + 1000]]
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = [e for e in answer.get("Errors", []) if e.get("Code") != "NoSuchVersion"]
        if errors:
            first = errors[0]
            raise ClientError({"Error": {"Code": first.get("Code", "InternalError"),
                                         "Message": first.get("Message", "")}}, "DeleteObjects")


def delete_every_version(client, bucket: str, key: str) -> None:
    """Remove key completely: every version and delete marker, or the object where versions are not supported."""
    try:
        versions = list(versions_of(client, bucket, key))
    except ClientError as exc:
        if classify(exc) is not Failure.NOT_SUPPORTED:
            raise
        client.delete_object(Bucket=bucket, Key=key)
        return
    delete_versions(client, bucket, versions)



class BucketClient:
    """One bucket's boto3 client, made on first use, with botocore errors turned into the owner's.

    Owners set `unavailable` and `misconfigured` (their exception classes), `bucket`,
    `endpoint_url`, `_client` (None until first use) and `_client_settings` (make_client's arguments).
    """

    unavailable: type[Exception]
    misconfigured: type[Exception]
    bucket: str
    endpoint_url: str | None
    _client: Any
    _client_settings: dict[str, Any]

    @property
    def client(self):
        if self._client is None:
            with self._translated("connecting"):
                self._client = make_client(**self._client_settings)
        return self._client

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            ours = translate(exc, action=action, bucket=self.bucket, endpoint=self.endpoint_url,
                             unavailable=self.unavailable, misconfigured=self.misconfigured)
            if ours is None:
                raise
            raise ours from exc

    def _check_bucket(self, action: str) -> None:
        """Raise the owner's misconfigured error when the bucket is missing, unavailable when unreachable."""
        with self._translated(action):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                # HEAD has no body, so a missing bucket is only a bare 404.
                if classify(exc) is Failure.NOT_FOUND:
                    raise self.misconfigured(sentence(Failure.NO_BUCKET, exc, action=action, bucket=self.bucket,
                                                      endpoint=self.endpoint_url)) from exc
                raise
