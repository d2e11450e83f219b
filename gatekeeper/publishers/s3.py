"""A channel that is an S3 bucket (AWS or any S3-compatible store), reached with boto3."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping

from gatekeeper import aws_s3
from gatekeeper.publishers.base import (
    InvalidTarget,
    PublishedRef,
    Publisher,
    PublisherMisconfigured,
    PublisherUnavailable,
    PublishRefused,
)
from gatekeeper.publishers.kinds import ChannelKind, Takeback, TargetField

log = logging.getLogger(__name__)


class S3Publisher(aws_s3.BucketClient, Publisher):
    """Puts objects with their Content-Type and no user metadata; credentials come from the standard AWS chain."""

    kind = "s3"
    unavailable = PublisherUnavailable
    misconfigured = PublisherMisconfigured

    def __init__(self, *, bucket: str, prefix: str = "", region: str | None = None,
                 endpoint_url: str | None = None, public_read: bool = False,
                 cache_control: str | None = None, addressing_style: str | None = None, client=None):
        self.bucket = bucket
        self.prefix = aws_s3.normalise_prefix(prefix)
        self.region = region
        self.endpoint_url = endpoint_url
        self.public_read = public_read
        self.cache_control = cache_control
        self._client = client
        self._client_settings = {"region": region, "endpoint_url": endpoint_url, "addressing_style": addressing_style}
        if public_read:
            log.warning("channel bucket %s: published objects will be world-readable (public_read)", bucket)

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> "S3Publisher":
        """From {"kind": "s3", "bucket": ..., "prefix": ..., "region": ..., "endpoint_url": ...}; raises InvalidTarget."""
        fields = KIND.read(target)
        problem = (aws_s3.bucket_problem(fields["bucket"])
                   or aws_s3.endpoint_problem(fields.get("endpoint_url"))
                   or aws_s3.addressing_problem(fields.get("addressing_style")))
        if problem:
            raise InvalidTarget(problem)
        try:
            return cls(**fields)
        except ValueError as exc:
            raise InvalidTarget(str(exc)) from None

    def _key(self, object_name: str) -> str:
        return self.prefix + object_name

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=f"s3://{self.bucket}/{self._key(object_name)}")

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        with self._translated("publishing"):
            if self._head(object_name):
                return self.ref_for(object_name)
            extra: dict[str, str] = {"ContentType": content_type}
            if self.cache_control:
                extra["CacheControl"] = self.cache_control
            if self.public_read:
                extra["ACL"] = "public-read"
            try:
                body = source.open("rb")
            except OSError as exc:
                raise PublishRefused(f"{source} cannot be read: {exc.strerror}") from exc
            with body:
                try:
                    # If-None-Match closes the gap between the check above and this write: a
                    # concurrent publisher of the same name loses instead of adding a version.
                    self.client.put_object(Bucket=self.bucket, Key=self._key(object_name), Body=body,
                                           IfNoneMatch="*", **extra)
                except aws_s3.ClientError as exc:
                    if aws_s3.classify(exc) is not aws_s3.Failure.PRECONDITION:
                        raise
        return self.ref_for(object_name)

    def _head(self, object_name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(object_name))
        except aws_s3.ClientError as exc:
            if aws_s3.classify(exc) is aws_s3.Failure.NOT_FOUND:
                return False
            raise
        return True

    def _remove(self, object_name: str) -> None:
        with self._translated("taking an object down"):
            key = self._key(object_name)
            # put_object is one request, so no part of it can linger; an unfinished multipart upload
            # of this key (another tool, a future large-file path) holds bytes too, and goes as well.
            for upload in self._unfinished_uploads(key):
                if upload["Key"] == key:
                    self._abort(upload)
            aws_s3.delete_every_version(self.client, self.bucket, key)

    def _unfinished_uploads(self, prefix: str) -> list[dict]:
        found: list[dict] = []
        try:
            for page in self.client.get_paginator("list_multipart_uploads").paginate(
                    Bucket=self.bucket, Prefix=prefix):
                found.extend(page.get("Uploads", []))
        except aws_s3.ClientError as exc:
            if aws_s3.classify(exc) is aws_s3.Failure.NOT_SUPPORTED:
                return []
            raise
        return found

    def _abort(self, upload: dict) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        except aws_s3.ClientError as exc:
            # Finished or aborted meanwhile: either way nothing of it is left.
            if aws_s3.error_code(exc) != "NoSuchUpload" and aws_s3.classify(exc) is not aws_s3.Failure.NOT_FOUND:
                raise

    def leftovers(self, older_than_s: float) -> list[str]:
        """Multipart uploads under the prefix started more than older_than_s ago and never finished."""
        with self._translated("looking for unfinished uploads"):
            return [f"s3://{self.bucket}/{u['Key']} (unfinished upload)" for u in self._stale_uploads(older_than_s)]

    def clean_leftovers(self, older_than_s: float) -> list[str]:
        removed = []
        with self._translated("aborting unfinished uploads"):
            for upload in self._stale_uploads(older_than_s):
                self._abort(upload)
                removed.append(f"s3://{self.bucket}/{upload['Key']} (unfinished upload)")
        return removed

    def _stale_uploads(self, older_than_s: float) -> list[dict]:
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_s)
        return [u for u in self._unfinished_uploads(self.prefix)
                if u.get("Initiated") is None or u["Initiated"] < cutoff]

    def _exists(self, object_name: str) -> bool:
        with self._translated("looking for an object"):
            return self._head(object_name)

    def check(self) -> None:
        self._check_bucket("checking the bucket")

    def describe(self) -> str:
        where = self.endpoint_url or "AWS"
        region = self.region or "default region"
        access = "public-read objects" if self.public_read else "private objects"
        return f"S3 bucket {self.bucket} prefix '{self.prefix}' at {where} ({region}, {access})"


KIND = ChannelKind(
    name="s3", label="An S3 bucket (a website or app reads it)",
    where="on the setting's website, from an online storage bucket it reads pictures from",
    takeback=Takeback.BY_DELETION, make=S3Publisher.from_target,
    fields=(
        TargetField("bucket", "Bucket", required=True),
        TargetField("prefix", "Folder in the bucket"),
        TargetField("region", "Region"),
        TargetField("endpoint_url", "Endpoint URL (S3-compatible stores)"),
        TargetField("public_read", "Objects readable by anyone", type=bool),
        TargetField("cache_control", "Cache-Control header"),
        TargetField("addressing_style", "Addressing style (path or virtual)"),
    ),
)
