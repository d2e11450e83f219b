"""gunicorn serves `gatekeeper.wsgi:application` for the instance named by GATEKEEPER_INSTANCE."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from gatekeeper.instance import InstanceError

from .test_serve import free_port, gatekeeper


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_importing_the_wsgi_module_builds_nothing_until_gunicorn_asks(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEKEEPER_INSTANCE", str(tmp_path / "not-initialised"))
    wsgi = importlib.reload(importlib.import_module("gatekeeper.wsgi"))
    with pytest.raises(InstanceError, match="gatekeeper init"):
        wsgi.application
    with pytest.raises(AttributeError):
        wsgi.app


def test_gunicorn_with_threads_serves_the_instance_from_the_environment(tmp_path):
    instance = tmp_path / "instance"
    assert gatekeeper("init", "--instance", str(instance)).returncode == 0
    port = free_port()
    env = {**os.environ, "GATEKEEPER_INSTANCE": str(instance)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "4", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "gatekeeper.wsgi:application"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"gunicorn did not answer: {server.communicate()[0]}")
                time.sleep(0.3)
        assert (status, body) == (200, {"status": "ok"})
        status, body = get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
    finally:
        server.terminate()
        server.wait(timeout=20)
