"""README command 1 in miniature: init an instance, serve it, and get an answer over HTTP."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gatekeeper(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gatekeeper", *args], capture_output=True, text=True, timeout=120)


def test_init_prints_a_one_time_password_once(tmp_path):
    instance = str(tmp_path / "instance")
    first = gatekeeper("init", "--instance", instance, "--json")
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["manager_one_time_password"]
    again = gatekeeper("init", "--instance", instance, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["manager_one_time_password"] is None


def test_an_initialised_instance_serves_healthz(tmp_path):
    instance = str(tmp_path / "instance")
    assert gatekeeper("init", "--instance", instance).returncode == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--instance", instance, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    assert json.load(response)["status"] == "ok"
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not answer: {server.stdout.read() if server.poll() is not None else ''}")
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_doctor_on_a_fresh_instance_passes(tmp_path):
    instance = str(tmp_path / "instance")
    assert gatekeeper("init", "--instance", instance).returncode == 0
    result = gatekeeper("doctor", "--instance", instance)
    assert result.returncode == 0, result.stdout + result.stderr


def test_commands_on_an_uninitialised_instance_say_how_to_fix_it(tmp_path):
    result = gatekeeper("doctor", "--instance", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "gatekeeper init" in result.stderr


def test_a_worker_runs_at_a_lower_cpu_priority_than_the_web_server(tmp_path):
    import os

    instance = str(tmp_path / "instance")
    assert gatekeeper("init", "--instance", instance).returncode == 0
    worker = subprocess.Popen([sys.executable, "-m", "gatekeeper", "worker", "--instance", instance, "--nice", "7"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0):
            assert worker.poll() is None, worker.stdout.read()
            assert time.monotonic() < deadline, "the worker never lowered its priority"
            time.sleep(0.2)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
    finally:
        worker.terminate()
        worker.wait(timeout=20)
