"""A channel that is the setting's Facebook page, reached through the Graph API with a page access token.

Photos only: a photo goes up with `POST /{page-id}/photos` (the file as `source`, the caption as
`message`), which makes a photo and a post on the page; a takedown deletes the post and the photo.
Facebook cannot find a photo by our object name, so the ids it answers with are the only handle on
the copy: the gate records them the moment the upload returns.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote

from gatekeeper.publishers import http
from gatekeeper.publishers.base import (
    InvalidTarget,
    PublishedRef,
    Publisher,
    PublisherError,
    PublisherMisconfigured,
    PublisherUnavailable,
    PublishRefused,
    Takeback,
)
from gatekeeper.publishers.kinds import ChannelKind, TargetField
from gatekeeper.publishers.targets import SecretRef, check_base_url, read_fields, read_secret_ref, secret_fields

log = logging.getLogger(__name__)

KIND_NAME = "facebook"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
TARGET_REQUIRED: dict[str, type] = {"page_id": str}
TARGET_OPTIONAL: dict[str, type] = {**secret_fields("page_token"), "graph_url": str, "timeout_s": int}
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_PAGE_ID = re.compile(r"^[0-9]{1,32}$")
_OBJECT_ID = re.compile(r"^[0-9]{1,32}(_[0-9]{1,32})?$")
# Graph API error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
INVALID_TOKEN = {190, 102}
RATE_LIMITED = {4, 17, 32, 613, 80001}
TRANSIENT = {1, 2}
NOT_PERMITTED = {3, 10} | set(range(200, 300))
NO_SUCH_OBJECT = 100
NO_SUCH_OBJECT_SUBCODE = 33


class FacebookPagePublisher(Publisher):
    """Publishes photos to one Facebook page; videos are refused (this version does not upload them)."""

    kind = KIND_NAME
    can_take_back = Takeback.BY_DELETION
    takes_captions = True
    media_kinds = ("photo",)

    def __init__(self, *, page_id: str, page_token: SecretRef, graph_url: str = DEFAULT_GRAPH_URL,
                 timeout_s: float = http.DEFAULT_TIMEOUT_S):
        self.page_id = page_id
        self.page_token = page_token
        self.graph_url = graph_url
        self.timeout_s = timeout_s

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> "FacebookPagePublisher":
        """From {"kind": "facebook", "page_id": "…", "page_token_env"|"page_token_file": …, "graph_url": …};
        raises InvalidTarget."""
        fields = validate_target(target)
        return cls(page_id=fields["page_id"], page_token=read_secret_ref(fields, "page_token", kind=KIND_NAME),
                   graph_url=check_base_url(fields.get("graph_url") or DEFAULT_GRAPH_URL,
                                            field_name="graph_url", kind=KIND_NAME),
                   timeout_s=float(fields.get("timeout_s") or http.DEFAULT_TIMEOUT_S))

    # -- requests ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, action: str, *, fields: Mapping[str, str] | None = None,
              files: list[tuple[str, str, str, bytes]] | None = None, gone_ok: bool = False) -> Any:
        token = self.page_token.read()
        url, body = f"{self.graph_url}{path}", None
        if method == "POST":
            # The token travels in the body, so it is never part of an address a proxy might log.
            form = {**(fields or {}), "access_token": token}
            body = http.multipart_body(form, files or []) if files else http.form_body(form)
        else:
            url = http.with_query(url, {**(fields or {}), "access_token": token})
        try:
            answer = http.request(method, url, body=body, timeout=self.timeout_s)
        except http.Unreachable as exc:
            raise PublisherUnavailable(f"cannot finish {action} on Facebook: {exc}") from None
        data = answer.json()
        error = data.get("error") if isinstance(data, dict) else None
        if 200 <= answer.status < 300 and not error:
            return data
        error = error if isinstance(error, dict) else {}
        if gone_ok and error.get("code") == NO_SUCH_OBJECT and error.get("error_subcode") == NO_SUCH_OBJECT_SUBCODE:
            return None
        raise _failure(answer.status, error, f"cannot finish {action} on the Facebook page {self.page_id}")

    # -- the Publisher interface ------------------------------------------------------------

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=f"Facebook page {self.page_id}")

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        return self._publish_captioned(source, object_name, content_type, None)

    def _publish_captioned(self, source: Path, object_name: str, content_type: str,
                           caption: str | None) -> PublishedRef:
        if content_type not in PHOTO_TYPES:
            raise PublishRefused(f"the Facebook channel publishes photos only ({', '.join(PHOTO_TYPES)}); "
                                 f"this version does not upload {content_type} to Facebook")
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise PublishRefused(f"{source} cannot be read: {exc.strerror}") from None
        fields = {"published": "true"}
        if caption:
            fields["message"] = caption
        answer = self._call("POST", f"/{self.page_id}/photos", "publishing a photo", fields=fields,
                            files=[("source", object_name, content_type, data)])
        photo_id = str((answer or {}).get("id") or "")
        if not _OBJECT_ID.match(photo_id):
            raise PublisherMisconfigured(f"Facebook answered the upload to page {self.page_id} without a photo id")
        remote = {"photo_id": photo_id}
        post_id = str(answer.get("post_id") or "")
        if _OBJECT_ID.match(post_id):
            remote["post_id"] = post_id
        return PublishedRef(object_name=object_name, location=f"Facebook page {self.page_id} photo {photo_id}",
                            remote=remote)

    def _remove(self, object_name: str) -> None:
        self._remove_ref(self.ref_for(object_name))

    def _remove_ref(self, ref: PublishedRef) -> None:
        ids = [ref.remote.get("post_id"), ref.remote.get("photo_id")]
        ids = [i for i in ids if i]
        if not ids:
            # Nothing was recorded, so nothing Facebook knows of can be named; see the module docstring.
            log.warning("no Facebook ids recorded for %s on page %s: nothing to delete", ref.object_name, self.page_id)
            return
        for object_id in ids:
            if not _OBJECT_ID.match(object_id):
                raise PublishRefused(f"{object_id!r} is not a Facebook object id")
            self._call("DELETE", f"/{quote(object_id)}", "a takedown", gone_ok=True)

    def _exists(self, object_name: str) -> bool:
        return False  # without recorded ids Facebook cannot be asked about a copy

    def _exists_ref(self, ref: PublishedRef) -> bool:
        photo_id = ref.remote.get("photo_id")
        if not photo_id or not _OBJECT_ID.match(photo_id):
            return False
        return self._call("GET", f"/{photo_id}", "looking for a photo", fields={"fields": "id"},
                          gone_ok=True) is not None

    def check(self) -> None:
        """The token is valid and reaches the page (needs the box online)."""
        page = self._call("GET", f"/{self.page_id}", "checking the page token", fields={"fields": "id,name"})
        if str((page or {}).get("id")) != self.page_id:
            raise PublisherMisconfigured(f"the page token does not open Facebook page {self.page_id}")

    def describe(self) -> str:
        return f"Facebook page {self.page_id} via {self.graph_url} (token from {self.page_token.describe()})"


def _failure(status: int, error: Mapping[str, Any], where: str) -> PublisherError:
    code = error.get("code")
    message = str(error.get("message") or f"HTTP {status}")
    detail = f"{message} (code {code})" if code is not None else message
    if code in INVALID_TOKEN:
        return PublisherMisconfigured(f"{where}: the page access token is invalid or has expired; "
                                      f"make a new one ({detail})")
    if code in RATE_LIMITED:
        return PublisherUnavailable(f"{where}: Facebook is limiting requests now; it will be retried ({detail})")
    if code in TRANSIENT or error.get("is_transient") is True:
        return PublisherUnavailable(f"{where}: Facebook had a temporary problem; it will be retried ({detail})")
    if code in NOT_PERMITTED:
        return PublisherMisconfigured(f"{where}: the token lacks a permission the page needs ({detail})")
    if code is None and (status == 429 or status >= 500):
        return PublisherUnavailable(f"{where}: Facebook answered HTTP {status}; it will be retried")
    return PublisherMisconfigured(f"{where}: {detail}")


def validate_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """The checked fields of a facebook target; raises InvalidTarget with a sentence for the Manager."""
    fields = read_fields(target, kind=KIND_NAME, required=TARGET_REQUIRED, optional=TARGET_OPTIONAL)
    if not _PAGE_ID.match(fields["page_id"]):
        raise InvalidTarget("page_id in the facebook target must be the page's numeric id")
    read_secret_ref(fields, "page_token", kind=KIND_NAME)
    check_base_url(fields.get("graph_url") or DEFAULT_GRAPH_URL, field_name="graph_url", kind=KIND_NAME)
    timeout = fields.get("timeout_s")
    if timeout is not None and not 1 <= timeout <= 300:
        raise InvalidTarget("timeout_s in the facebook target must be between 1 and 300 seconds")
    return fields


KIND = ChannelKind(
    name=KIND_NAME, label="A Facebook page", where="on the setting's Facebook page",
    takeback=FacebookPagePublisher.can_take_back, make=FacebookPagePublisher.from_target,
    fields=(
        TargetField("page_id", "The page's id (digits)", required=True),
        TargetField("page_token_env", "Page access token: name of the environment variable holding it",
                    help="The token itself never goes in the database: the operator puts it in the "
                         "gatekeeper's environment or in a private file, and names that here."),
        TargetField("page_token_file", "…or the private file holding it (an absolute path)"),
        TargetField("graph_url", "Graph API address (leave empty for Facebook's own)"),
        TargetField("timeout_s", "Seconds to wait for Facebook", type=int),
    ),
)
