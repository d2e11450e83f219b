"""HTTPS for the setting's network with the built-in server: a TLS front in front of waitress, and a
plain-HTTP listener that sends browsers to HTTPS.

waitress speaks no TLS. The front terminates TLS on the network port and opens one loopback connection
to waitress per client; it remembers which loopback port belongs to which client, so the app still
sees each client's own address (the sign-in throttle counts by it) and knows the request came over TLS.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import ssl
import threading
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import quote, urlsplit

log = logging.getLogger("gatekeeper.https")

HANDSHAKE_TIMEOUT_S = 10
CHUNK = 64 * 1024
# Served over plain HTTP too: a tablet must fetch the authority before it can trust HTTPS.
PLAIN_PATHS = ("/healthz", "/trust", "/static/")


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """TLS 1.2 or later with the instance's certificate chain; raises OSError or ssl.SSLError."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    context.set_alpn_protocols(["http/1.1"])
    return context


class TlsFront:
    """Accepts TLS on a network address and pipes each connection to waitress on a loopback port."""

    def __init__(self, context: ssl.SSLContext, backend_port: int, *, connection_limit: int = 100):
        self.context = context
        self.backend_port = backend_port
        self.connection_limit = connection_limit
        self._clients: dict[int, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    def client_of(self, loopback_port: int) -> str | None:
        """The client address behind one of our loopback connections to waitress, else None."""
        return self._clients.get(loopback_port)

    def start(self, host: str, port: int) -> int:
        """Listen (port 0: any free port) in a thread of its own; returns the port. Raises OSError."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = loop.run_until_complete(asyncio.start_server(
                    self._handle, host, port, ssl=self.context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S,
                    limit=CHUNK))
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="gatekeeper-tls", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("", 0)
        if len(self._clients) >= self.connection_limit:
            writer.close()
            return
        try:
            back_reader, back_writer = await asyncio.open_connection("127.0.0.1", self.backend_port, limit=CHUNK)
        except OSError:
            log.warning("the web server on 127.0.0.1:%d does not answer", self.backend_port)
            writer.close()
            return
        local_port = back_writer.get_extra_info("sockname")[1]
        self._clients[local_port] = peer[0]
        pipes = [asyncio.ensure_future(_pipe(reader, back_writer)), asyncio.ensure_future(_pipe(back_reader, writer))]
        try:
            # Either side ending ends the connection: waitress closes idle and finished ones itself.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            self._clients.pop(local_port, None)
            for end in (back_writer, writer):
                end.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass


def through_front(app: Callable, front: TlsFront) -> Callable:
    """WSGI middleware: a request that came through the TLS front gets its client's address and https."""
    def application(environ, start_response):
        if environ.get("REMOTE_ADDR") in ("127.0.0.1", "::1"):
            try:
                client = front.client_of(int(environ.get("REMOTE_PORT") or 0))
            except ValueError:
                client = None
            if client is not None:
                environ["REMOTE_ADDR"] = client
                environ["wsgi.url_scheme"] = "https"
                environ["HTTPS"] = "on"
        return app(environ, start_response)

    return application


HOST_HEADER = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]{1,253}))(?::\d{1,5})?$")


def _request_host(environ) -> str | None:
    """The host the browser asked for (no port), when the Host header is exactly host[:port]."""
    found = HOST_HEADER.match((environ.get("HTTP_HOST") or "").strip())
    if found is None:
        return None
    if found["v6"]:
        try:
            return str(ipaddress.IPv6Address(found["v6"]))
        except ValueError:
            return None
    labels = found["name"].rstrip(".").split(".")
    if all(label and len(label) <= 63 and not label.startswith("-") for label in labels):
        return found["name"].lower()
    return None


def https_origin(environ, https_port: int, public_url: str = "") -> str | None:
    """https://the host the browser asked for, on the HTTPS port (PUBLIC_URL's host when none fits)."""
    host = _request_host(environ) or urlsplit(public_url or "").hostname
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}" + ("" if https_port == 443 else f":{https_port}")


def redirect_to_https(app: Callable, https_port: int, public_url: str = "",
                      plain_paths: Iterable[str] = PLAIN_PATHS) -> Callable:
    """The plain-HTTP listener: the authority, its instructions and /healthz as they are, all else to HTTPS."""
    plain = tuple(plain_paths)

    def application(environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        if any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in plain):
            return app(environ, start_response)
        origin = https_origin(environ, https_port, public_url)
        if origin is None:
            body = b"Open this service with https:// and its address.\n"
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        target = origin + quote(path, safe="/%:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        # Temporary, so browsers do not remember it if HTTPS is turned off again; 307 keeps a form's POST.
        method = environ.get("REQUEST_METHOD", "GET")
        status = "302 Found" if method in ("GET", "HEAD") else "307 Temporary Redirect"
        body = f"This service is at {target}\n".encode()
        start_response(status, [("Location", target), ("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
        return [body] if method != "HEAD" else []

    return application
