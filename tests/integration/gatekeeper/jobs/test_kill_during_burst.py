"""`kill -9` of the service in the middle of a burst of uploads being analysed: after a restart every
accepted upload is analysed, none is left "analysing", and no plaintext is left in the work folder."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consent_db.audit import Actor
from consent_db.models import ItemState, MediaItem
from consent_db.records import default_setting
from gatekeeper import create_app
from gatekeeper.app.context import gate_context
from gatekeeper.gate.ingest import receive_upload

ROOT = Path(__file__).resolve().parents[4]
BURST = ["groups/fr_two_people.jpg", "groups/fr_obama_and_biden.jpg", "groups/fr_kit_with_rose.jpg",
         "groups/insight_t1.jpg", "groups/dlib_bald_guys.jpg", "groups/insight_1996.jpg"] * 2

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(instance: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GATEKEEPER_DATABASE_URL", None)  # the embedded default: SQLite and the SQLite job queue
    return subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--instance", str(instance),
                             "--port", str(_free_port())], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _states(ctx) -> dict[ItemState, int]:
    with ctx.sessions() as session:
        return dict(session.execute(select(MediaItem.state, func.count()).group_by(MediaItem.state)).all())


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _plaintext_left(work_root: Path) -> list[Path]:
    return [p for p in work_root.rglob("*") if p.is_file()] if work_root.exists() else []


def test_a_service_killed_mid_burst_analyses_every_accepted_upload_after_restart(tmp_path, faces_dir, monkeypatch):
    monkeypatch.delenv("GATEKEEPER_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    made = subprocess.run([sys.executable, "-m", "gatekeeper", "init", "--instance", str(instance)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert made.returncode == 0, made.stderr
    app = create_app(instance_dir=str(instance))
    ctx = gate_context(app)
    with ctx.sessions() as session:
        setting_id = default_setting(session).id

    server = _serve(instance)
    try:
        # Uploads accepted while the service analyses: each is committed and its job queued for `serve`.
        accepted = [receive_upload(ctx, faces_dir / name, uploader=Actor(label="tablet (test)"),
                                   setting_id=setting_id).public_id for name in BURST]
        assert _wait(lambda: _states(ctx).get(ItemState.ANALYSING, 0) < len(BURST), 120), "nothing was analysed"
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)
    still_analysing = _states(ctx).get(ItemState.ANALYSING, 0)
    assert still_analysing > 0, "the burst finished before the kill: the test proved nothing"
    work_root = Path(app.config["QUARANTINE_DIR"]) / ".work"
    assert _plaintext_left(work_root), "no analysis was running at the kill: the test proved nothing"

    server = _serve(instance)
    try:
        assert _wait(lambda: _states(ctx).get(ItemState.ANALYSING, 0) == 0, 240), _states(ctx)
    finally:
        server.terminate()
        server.wait(timeout=30)

    states = _states(ctx)
    assert sum(states.get(s, 0) for s in (ItemState.READY, ItemState.HELD)) == len(accepted), states
    with ctx.sessions() as session:
        rendered = session.scalar(select(func.count()).select_from(MediaItem).where(MediaItem.analysed_at.is_not(None)))
    assert rendered == len(accepted)
    # The restarted service removed the killed one's folder; its own emptied as it stopped.
    assert _plaintext_left(work_root) == []
