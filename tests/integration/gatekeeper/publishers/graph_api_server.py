"""A local stand-in for the Graph API endpoints the Facebook publisher uses, following Meta's
documented requests and answers (Page Photos, object deletion, error objects). No Facebook server
can run here; this checks the client's requests and its handling of the documented answers."""
from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VERSION = "/v21.0"


@dataclass
class Graph:
    page_id: str = "1029384756"
    page_name: str = "Little Acorns Pre-school"
    token: str = "EAAB-page-token"
    photos: dict[str, dict] = field(default_factory=dict)  # photo id -> {"source", "message", "post_id", ...}
    posts: set[str] = field(default_factory=set)
    requests: list[dict] = field(default_factory=list)
    fail_next: list[tuple[int, dict]] = field(default_factory=list)  # (HTTP status, error object)
    ids: itertools.count = field(default_factory=lambda: itertools.count(555000111))


def error(message: str, type_: str, code: int, subcode: int | None = None) -> dict:
    body = {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return body


def _missing(object_id: str) -> dict:
    return error(f"Unsupported delete request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
                 "missing permissions, or does not support this operation", "GraphMethodException", 100, 33)


def _parse_multipart(content_type: str, body: bytes) -> dict:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        fields[name] = {"filename": filename, "type": part.get_content_type(), "data": payload} if filename \
            else payload.decode("utf-8")
    return fields


def make_handler(graph: Graph):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _params(self) -> tuple[str, dict]:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("multipart/form-data"):
                params.update(_parse_multipart(kind, body))
            elif kind.startswith("application/x-www-form-urlencoded"):
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
            return parts.path, params

        def _handle(self, method: str) -> None:
            path, params = self._params()
            graph.requests.append({"method": method, "path": path, "params": params, "query": urlsplit(self.path).query})
            if graph.fail_next:
                status, body = graph.fail_next.pop(0)
                return self._answer(status, {"error": body})
            if not path.startswith(VERSION + "/"):
                return self._answer(400, {"error": error("Unknown path components", "OAuthException", 2500)})
            if params.get("access_token") != graph.token:
                return self._answer(400, {"error": error(
                    "Error validating access token: Session has expired.", "OAuthException", 190, 463)})
            target = path[len(VERSION) + 1:]
            if method == "POST" and target == f"{graph.page_id}/photos":
                source = params.get("source")
                if not isinstance(source, dict):
                    return self._answer(400, {"error": error("(#324) Requires upload file", "OAuthException", 324)})
                photo_id, post_number = str(next(graph.ids)), str(next(graph.ids))
                post_id = f"{graph.page_id}_{post_number}"
                graph.photos[photo_id] = {**source, "message": params.get("message"), "post_id": post_id}
                graph.posts.add(post_id)
                return self._answer(200, {"id": photo_id, "post_id": post_id})
            if method == "GET" and target == graph.page_id:
                return self._answer(200, {"id": graph.page_id, "name": graph.page_name})
            if method == "GET" and target in graph.photos:
                return self._answer(200, {"id": target})
            if method == "DELETE" and target in graph.posts:
                graph.posts.discard(target)
                # Deleting a photo's post deletes the photo with it.
                for photo_id in [p for p, v in graph.photos.items() if v["post_id"] == target]:
                    del graph.photos[photo_id]
                return self._answer(200, {"success": True})
            if method == "DELETE" and target in graph.photos:
                graph.posts.discard(graph.photos.pop(target)["post_id"])
                return self._answer(200, {"success": True})
            if method == "DELETE":
                return self._answer(400, {"error": _missing(target)})
            return self._answer(400, {"error": error(
                f"Unsupported get request. Object with ID '{target}' does not exist", "GraphMethodException", 100, 33)})

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_DELETE(self):
            self._handle("DELETE")

    return Handler


def serve(graph: Graph):
    """Yield the base URL of a Graph API stand-in on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(graph))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{VERSION}"
    finally:
        server.shutdown()
        server.server_close()
