"""Quarantine in a private S3 bucket (AWS or S3-compatible); objects are sealed before they leave the machine."""
from __future__ import annotations

from contextlib import contextmanager
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

from boto3.s3.transfer import TransferConfig

from gatekeeper import aws_s3
from gatekeeper.storage.base import (
    ItemNotFound,
    QuarantineMisconfigured,
    QuarantineStore,
    QuarantineUnavailable,
    is_item_key,
)
from gatekeeper.storage.envelope import Keyring

MB = 1024 * 1024
_PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


class S3Quarantine(aws_s3.BucketClient, QuarantineStore):
    """One object per item at <prefix><item_key>; never given an ACL, so it stays as private as the bucket."""

    kind = "s3"
    unavailable = QuarantineUnavailable
    misconfigured = QuarantineMisconfigured

    def __init__(self, keyring: Keyring, *, bucket: str, prefix: str = "", region: str | None = None,
                 endpoint_url: str | None = None, client=None, transfer: TransferConfig | None = None,
                 **options):
        super().__init__(keyring, **options)
        self.bucket = bucket
        self.prefix = aws_s3.normalise_prefix(prefix)
        self.region = region
        self.endpoint_url = endpoint_url
        self._client = client
        self._client_settings = {"region": region, "endpoint_url": endpoint_url}
        # Sealed streams cannot seek, so each part is buffered: concurrency x chunk size of memory.
        self.transfer = transfer or TransferConfig(
            multipart_threshold=64 * MB, multipart_chunksize=16 * MB, max_concurrency=4)

    @classmethod
    def from_url(cls, url: str, keyring: Keyring, *, region: str | None = None,
                 endpoint_url: str | None = None) -> "S3Quarantine":
        """From s3://bucket/prefix; raises QuarantineMisconfigured."""
        parts = urlsplit(url)
        problem = (aws_s3.bucket_problem(parts.netloc) or aws_s3.endpoint_problem(endpoint_url))
        if problem:
            raise QuarantineMisconfigured(f"QUARANTINE_URL {url!r}: {problem}")
        if parts.query or parts.fragment:
            raise QuarantineMisconfigured(f"QUARANTINE_URL {url!r}: use s3://bucket/prefix without ? or #")
        try:
            return cls(keyring, bucket=parts.netloc, prefix=parts.path, region=region, endpoint_url=endpoint_url)
        except ValueError as exc:
            raise QuarantineMisconfigured(f"QUARANTINE_URL {url!r}: {exc}") from None

    def _key(self, item_key: str) -> str:
        return self.prefix + item_key

    def _write(self, item_key: str, sealed: BinaryIO) -> None:
        key = self._key(item_key)
        with self._translated("storing a quarantined item"):
            self.client.upload_fileobj(sealed, self.bucket, key, Config=self.transfer,
                                       ExtraArgs={"ContentType": "application/octet-stream"})
            self._drop_older_versions(key)

    def _drop_older_versions(self, key: str) -> None:
        # In a versioned bucket the replaced object (e.g. wrapped under a retired key) would linger.
        try:
            older = [v for v in aws_s3.versions_of(self.client, self.bucket, key) if not v["IsLatest"]]
        except aws_s3.ClientError as exc:
            if aws_s3.classify(exc) is aws_s3.Failure.NOT_SUPPORTED:
                return
            raise
        aws_s3.delete_versions(self.client, self.bucket, older)

    @contextmanager
    def _open(self, item_key: str) -> Iterator[BinaryIO]:
        # Reads fail mid-stream too (timeouts, dropped connections), so the whole use is translated.
        with self._translated("reading a quarantined item"):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self._key(item_key))
            except aws_s3.ClientError as exc:
                if aws_s3.classify(exc) is aws_s3.Failure.NOT_FOUND:
                    raise ItemNotFound(f"no quarantined item {item_key}") from None
                raise
            body = answer["Body"]
            try:
                yield body
            finally:
                body.close()

    def _delete(self, item_key: str) -> None:
        with self._translated("deleting a quarantined item"):
            aws_s3.delete_every_version(self.client, self.bucket, self._key(item_key))

    def _exists(self, item_key: str) -> bool:
        with self._translated("looking for a quarantined item"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(item_key))
            except aws_s3.ClientError as exc:
                if aws_s3.classify(exc) is aws_s3.Failure.NOT_FOUND:
                    return False
                raise
        return True

    def _keys(self) -> Iterator[str]:
        found: list[str] = []
        with self._translated("listing the quarantine"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for entry in page.get("Contents", []):
                    name = entry["Key"][len(self.prefix):]
                    if is_item_key(name):
                        found.append(name)
        return iter(found)

    def check(self) -> None:
        self._check_bucket("checking the quarantine bucket")
        with self._translated("checking the quarantine bucket"):
            self._check_private()

    def _check_private(self) -> None:
        try:
            grants = self.client.get_bucket_acl(Bucket=self.bucket).get("Grants", [])
        except aws_s3.ClientError as exc:
            if aws_s3.classify(exc) is aws_s3.Failure.NOT_SUPPORTED:
                return
            raise
        if any(grant.get("Grantee", {}).get("URI") in _PUBLIC_GROUPS for grant in grants):
            raise QuarantineMisconfigured(
                f"the quarantine bucket '{self.bucket}' grants access to everyone: make it private")

    def describe(self) -> str:
        where = self.endpoint_url or "AWS"
        return (f"S3 bucket {self.bucket} prefix '{self.prefix}' at {where} "
                f"({self.region or 'default region'}; sealed under key {self.key_fingerprint()})")

