"""A small HTTP client for the web channels (WordPress, Facebook): one request, a timeout, no redirects.

Redirects are not followed on purpose: a POST turned into a GET by a redirect loses the upload, and a
site that moved should be set to its new address by an operator, not guessed at.
"""
from __future__ import annotations

import http.client
import json
import secrets
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Mapping
from urllib.parse import urlencode, urlsplit

DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = "photo-gatekeeper"


class Unreachable(Exception):
    """The server could not be reached or did not answer in time; the message names no secret."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (an HTML error page from a proxy)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Body:
    """A request body: bytes, or a file streamed with its length known."""

    content_type: str
    data: bytes | None = None
    file: Path | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def length(self) -> int:
        return len(self.data) if self.data is not None else Path(self.file).stat().st_size


def json_body(value: Any) -> Body:
    return Body("application/json", data=json.dumps(value).encode("utf-8"))


def form_body(fields: Mapping[str, str]) -> Body:
    return Body("application/x-www-form-urlencoded", data=urlencode(fields).encode("ascii"))


def multipart_body(fields: Mapping[str, str], files: Iterable[tuple[str, str, str, bytes]]) -> Body:
    """A multipart/form-data body of text fields and (field, filename, content type, bytes) files."""
    boundary = "gatekeeper-" + secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8"))
        parts.append(value.encode("utf-8") + b"\r\n")
    for name, filename, content_type, data in files:
        parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      f"Content-Type: {content_type}\r\n\r\n").encode("utf-8"))
        parts.append(data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return Body(f"multipart/form-data; boundary={boundary}", data=b"".join(parts))


def with_query(url: str, query: Mapping[str, Any] | None) -> str:
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(query)


def request(method: str, url: str, *, headers: Mapping[str, str] | None = None, body: Body | None = None,
            timeout: float = DEFAULT_TIMEOUT_S, context: ssl.SSLContext | None = None) -> Response:
    """Send one request and read the whole answer, whatever its status.

    Raises Unreachable (connection refused or reset, DNS, TLS, timeout); a caller maps statuses itself.
    """
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context or ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    where = f"{parts.scheme}://{parts.netloc}"
    sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    try:
        if body is None:
            conn.request(method, path, headers=sent)
        else:
            sent.update({"Content-Type": body.content_type, "Content-Length": str(body.length()),
                         **body.extra_headers})
            if body.data is not None:
                conn.request(method, path, body=body.data, headers=sent)
            else:
                with Path(body.file).open("rb") as stream:
                    conn.request(method, path, body=_chunks(stream), headers=sent)
        answer = conn.getresponse()
        data = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
    except (socket.timeout, TimeoutError):
        raise Unreachable(f"{where} did not answer within {timeout:g} s") from None
    except ssl.SSLError as exc:
        raise Unreachable(f"cannot make a secure connection to {where}: {exc.reason or exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(f"cannot reach {where}: {exc.__class__.__name__} {exc}".rstrip()) from None
    finally:
        conn.close()


def _chunks(stream: BinaryIO, size: int = 256 * 1024):
    while chunk := stream.read(size):
        yield chunk
