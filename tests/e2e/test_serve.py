"""README command 1 in miniature: init an instance, serve it, and get an answer over HTTP."""
from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from gatekeeper.jobs import priority


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


def _start_worker(instance: str, niceness: int, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gatekeeper", "worker", "--instance", instance, "--nice",
                             str(niceness)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options)


def _wait_for_log(worker: subprocess.Popen, words: str, timeout: float = 60) -> list[str]:
    """The worker's log lines up to the first one holding words (it logs its priority before taking jobs)."""
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=lambda: [*map(lines.put, worker.stdout), lines.put(None)], daemon=True).start()
    seen, deadline = [], time.monotonic() + timeout
    while (line := lines.get(timeout=max(deadline - time.monotonic(), 0.01))) is not None:
        seen.append(line)
        if words in line:
            return seen
    raise AssertionError(f"the worker stopped without saying {words!r}:\n" + "".join(seen))


def test_a_worker_runs_at_a_lower_cpu_priority_than_the_web_server(tmp_path):
    import os

    instance = str(tmp_path / "instance")
    assert gatekeeper("init", "--instance", instance).returncode == 0
    worker = _start_worker(instance, 7)
    try:
        lines = _wait_for_log(worker, "CPU priority lowered by 7")
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
        if priority.autogroups_enabled():
            # It shares this test's session, whose autogroup it must leave alone, and says so.
            assert "within its session only" in lines[-1]
            assert Path(f"/proc/{worker.pid}/autogroup").read_text() == Path("/proc/self/autogroup").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=20)


@pytest.mark.skipif(not priority.autogroups_enabled(), reason="the kernel does not group CPU time by session")
def test_a_worker_in_its_own_session_lowers_the_whole_session(tmp_path):
    # A nice value alone only ranks the worker within its session: the web server, in another
    # session, would still share the CPU equally with analysis.
    instance = str(tmp_path / "instance")
    assert gatekeeper("init", "--instance", instance).returncode == 0
    worker = _start_worker(instance, 9, start_new_session=True)
    try:
        _wait_for_log(worker, "for its whole session too")
        assert Path(f"/proc/{worker.pid}/autogroup").read_text().split()[-2:] == ["nice", "9"]
    finally:
        worker.terminate()
        worker.wait(timeout=20)
