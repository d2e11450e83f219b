"""A channel that is the setting's WordPress website, reached through its REST API with an application password.

The rendition goes to the media library under its random object name (also its title, so a retried
publish or a takedown finds it even when the ids were never recorded); a post with the caption is
optional. Takedown deletes for good (force=true skips the bin), the post first, then the media and
every size WordPress made of it.
"""
from __future__ import annotations

import base64
import html
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

KIND_NAME = "wordpress"
TARGET_REQUIRED: dict[str, type] = {"url": str, "username": str}
TARGET_OPTIONAL: dict[str, type] = {
    **secret_fields("app_password"),
    "post": bool,  # also publish a post with the picture and its caption
    "post_status": str,
    "post_title": str,
    "timeout_s": int,
}
POST_STATUSES = ("publish", "draft", "private")
DEFAULT_POST_TITLE = "From the setting"
_USERNAME = re.compile(r"^[^\s:]{1,60}$")


def _slug_for(object_name: str) -> str:
    # WordPress lowercases slugs; the random stem stays random enough (about 120 bits) when folded.
    stem = object_name.rsplit(".", 1)[0]
    return "gk-" + re.sub(r"[^a-z0-9-]", "-", stem.lower())


def _wp_message(answer: http.Response) -> str:
    body = answer.json()
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        code = body.get("code")
        text = html.unescape(re.sub(r"<[^>]+>", "", body["message"]))
        return f"{text} ({code})" if code else text
    return f"HTTP {answer.status}"


class WordPressPublisher(Publisher):
    """Publishes to a WordPress media library (and optionally a post) over its REST API."""

    kind = KIND_NAME
    can_take_back = Takeback.BY_DELETION
    takes_captions = True

    def __init__(self, *, url: str, username: str, app_password: SecretRef, post: bool = False,
                 post_status: str = "publish", post_title: str = DEFAULT_POST_TITLE,
                 timeout_s: float = http.DEFAULT_TIMEOUT_S):
        self.url = url
        self.api = f"{url}/wp-json/wp/v2"
        self.username = username
        self.app_password = app_password
        self.post = post
        self.post_status = post_status
        self.post_title = post_title
        self.timeout_s = timeout_s

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> "WordPressPublisher":
        """From {"kind": "wordpress", "url": "https://…", "username": …, "app_password_env"|"app_password_file": …,
        "post": false, "post_status": "publish", "post_title": …}; raises InvalidTarget."""
        fields = validate_target(target)
        secret = read_secret_ref(fields, "app_password", kind=KIND_NAME)
        return cls(url=check_base_url(fields["url"], field_name="url", kind=KIND_NAME), username=fields["username"],
                   app_password=secret, post=fields.get("post", False),
                   post_status=fields.get("post_status", "publish"),
                   post_title=fields.get("post_title") or DEFAULT_POST_TITLE,
                   timeout_s=float(fields.get("timeout_s") or http.DEFAULT_TIMEOUT_S))

    # -- requests ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, action: str, *, query: Mapping[str, Any] | None = None,
              body: http.Body | None = None, gone_ok: bool = False) -> Any:
        token = base64.b64encode(f"{self.username}:{self.app_password.read()}".encode("utf-8")).decode("ascii")
        try:
            answer = http.request(method, http.with_query(self.api + path, query), body=body,
                                  headers={"Authorization": f"Basic {token}"}, timeout=self.timeout_s)
        except http.Unreachable as exc:
            raise PublisherUnavailable(f"cannot finish {action} on the website: {exc}") from None
        if 200 <= answer.status < 300:
            return answer.json()
        if gone_ok and answer.status in (404, 410):
            body_json = answer.json()
            # Only WordPress's own "no such post" answer means gone; a 404 page from elsewhere means a wrong address.
            if isinstance(body_json, dict) and str(body_json.get("code", "")).startswith("rest_post_invalid"):
                return None
        raise self._failure(answer, action)

    def _failure(self, answer: http.Response, action: str) -> PublisherError:
        where = f"cannot finish {action} on the website {self.url}"
        if answer.status == 429 or answer.status >= 500:
            return PublisherUnavailable(f"{where}: it answered {_wp_message(answer)}; it will be retried")
        if answer.status in (301, 302, 303, 307, 308):
            return PublisherMisconfigured(f"{where}: it redirects to {answer.location or 'another address'}; "
                                          "set the channel's url to the address it redirects to")
        if answer.status in (401, 403):
            return PublisherMisconfigured(f"{where}: the site refused the user {self.username!r} and its "
                                          f"application password ({_wp_message(answer)})")
        if answer.status == 404:
            return PublisherMisconfigured(f"{where}: no WordPress REST API at {self.api} ({_wp_message(answer)})")
        return PublisherMisconfigured(f"{where}: {_wp_message(answer)}")

    # -- the Publisher interface ------------------------------------------------------------

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=f"{self.url} media {object_name}")

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        return self._publish_captioned(source, object_name, content_type, None)

    def _publish_captioned(self, source: Path, object_name: str, content_type: str,
                           caption: str | None) -> PublishedRef:
        media = self._find_media(object_name, "publishing")
        if media is None:
            query = {"title": object_name, "alt_text": caption or "", "caption": caption or ""}
            body = http.Body(content_type, file=source,
                             extra_headers={"Content-Disposition": f'attachment; filename="{object_name}"'})
            try:
                media = self._call("POST", "/media", "an upload", query=query, body=body)
            except OSError as exc:
                raise PublishRefused(f"{source} cannot be read: {exc.strerror}") from None
        if not isinstance(media, dict) or "id" not in media:
            raise PublisherMisconfigured(f"the website {self.url} answered the upload without a media id")
        remote = {"media_id": str(media["id"])}
        if self.post:
            post = self._find_post(object_name, "publishing") or self._make_post(object_name, media, caption)
            remote["post_id"] = str(post["id"])
        return PublishedRef(object_name=object_name, location=str(media.get("source_url") or self.url),
                            remote=remote)

    def _make_post(self, object_name: str, media: Mapping[str, Any], caption: str | None) -> dict:
        image = html.escape(str(media.get("source_url", "")), quote=True)
        content = f'<figure class="wp-block-image"><img src="{image}" alt="{html.escape(caption or "", quote=True)}"/>'
        if caption:
            content += f"<figcaption>{html.escape(caption)}</figcaption>"
        content += "</figure>"
        post = self._call("POST", "/posts", "making a post", body=http.json_body({
            "title": self.post_title, "content": content, "status": self.post_status,
            "slug": _slug_for(object_name), "featured_media": media["id"]}))
        if not isinstance(post, dict) or "id" not in post:
            raise PublisherMisconfigured(f"the website {self.url} answered the new post without a post id")
        return post

    def _find_media(self, object_name: str, action: str) -> dict | None:
        found = self._call("GET", "/media", action, query={
            "search": object_name.lstrip("-"), "context": "edit", "per_page": 100, "_fields": "id,title,source_url"})
        for media in found or []:
            title = media.get("title") or {}
            if isinstance(title, dict) and title.get("raw") == object_name:
                return media
        return None

    def _find_post(self, object_name: str, action: str) -> dict | None:
        found = self._call("GET", "/posts", action, query={
            "slug": _slug_for(object_name), "status": "publish,future,draft,pending,private",
            "context": "edit", "_fields": "id,slug"})
        return found[0] if found else None

    def _remove(self, object_name: str) -> None:
        self._remove_ref(self.ref_for(object_name))

    def _remove_ref(self, ref: PublishedRef) -> None:
        post_ids = {ref.remote.get("post_id")} - {None}
        media_ids = {ref.remote.get("media_id")} - {None}
        # The ids may never have been recorded (a crash after the upload): find the copies by name too.
        media = self._find_media(ref.object_name, "a takedown")
        if media is not None:
            media_ids.add(str(media["id"]))
        post = self._find_post(ref.object_name, "a takedown")
        if post is not None:
            post_ids.add(str(post["id"]))
        for post_id in sorted(post_ids):
            self._call("DELETE", f"/posts/{quote(post_id)}", "a takedown", query={"force": "true"}, gone_ok=True)
        for media_id in sorted(media_ids):
            self._call("DELETE", f"/media/{quote(media_id)}", "a takedown", query={"force": "true"}, gone_ok=True)

    def _exists(self, object_name: str) -> bool:
        return self._find_media(object_name, "looking for a copy") is not None

    def _exists_ref(self, ref: PublishedRef) -> bool:
        media_id = ref.remote.get("media_id")
        if media_id and self._call("GET", f"/media/{quote(media_id)}", "looking for a copy",
                                   query={"context": "edit", "_fields": "id"}, gone_ok=True) is not None:
            return True
        return self._exists(ref.object_name)

    def check(self) -> None:
        """The user signs in with the application password and may upload (and post, when posts are on)."""
        me = self._call("GET", "/users/me", "checking the sign-in", query={"context": "edit"})
        capabilities = (me or {}).get("capabilities") or {}
        needed = ["upload_files", "delete_posts"] + (["publish_posts"] if self.post else [])
        missing = [c for c in needed if not capabilities.get(c)]
        if missing:
            raise PublisherMisconfigured(
                f"the WordPress user {self.username!r} on {self.url} lacks {', '.join(missing)}: "
                "give it the Author or Editor role")

    def describe(self) -> str:
        posts = f"with {self.post_status} posts" if self.post else "media only"
        return f"WordPress site {self.url} as {self.username} ({posts}; password from {self.app_password.describe()})"


def validate_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """The checked fields of a wordpress target; raises InvalidTarget with a sentence for the Manager."""
    fields = read_fields(target, kind=KIND_NAME, required=TARGET_REQUIRED, optional=TARGET_OPTIONAL)
    check_base_url(fields["url"], field_name="url", kind=KIND_NAME)
    read_secret_ref(fields, "app_password", kind=KIND_NAME)
    if not _USERNAME.match(fields["username"]):
        raise InvalidTarget("username in the wordpress target must be a WordPress user name without spaces or ':'")
    if fields.get("post_status", "publish") not in POST_STATUSES:
        raise InvalidTarget(f"post_status in the wordpress target must be one of {', '.join(POST_STATUSES)}")
    if len(fields.get("post_title") or "") > 200:
        raise InvalidTarget("post_title in the wordpress target must be at most 200 characters")
    timeout = fields.get("timeout_s")
    if timeout is not None and not 1 <= timeout <= 300:
        raise InvalidTarget("timeout_s in the wordpress target must be between 1 and 300 seconds")
    return fields


KIND = ChannelKind(
    name=KIND_NAME, label="A WordPress website", where="on the setting's website",
    takeback=WordPressPublisher.can_take_back, make=WordPressPublisher.from_target,
    fields=(
        TargetField("url", "Website address (https://…)", required=True),
        TargetField("username", "WordPress user name", required=True),
        TargetField("app_password_env", "Application password: name of the environment variable holding it",
                    help="The password itself never goes in the database: the operator puts it in the "
                         "gatekeeper's environment or in a private file, and names that here."),
        TargetField("app_password_file", "…or the private file holding it (an absolute path)"),
        TargetField("post", "Also publish a post with the picture and its caption", type=bool),
        TargetField("post_status", "The post's status (publish, draft or private)"),
        TargetField("post_title", "The post's title"),
        TargetField("timeout_s", "Seconds to wait for the website", type=int),
    ),
)
