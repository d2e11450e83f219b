"""The layer contract (.importlinter) holds: adapters over the application layer over the rooms over the
records, and no room imports Flask, the web, the job queue or huey."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def lint_imports() -> str:
    found = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(found).exists():
        pytest.fail("lint-imports is missing: install the test extras (pip install -e '.[test]')")
    return found


def run(config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([lint_imports(), "--config", str(config), "--no-cache"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_layer_contract_is_kept():
    result = run(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_contract_lists_no_exceptions():
    text = (ROOT / ".importlinter").read_text()
    assert "ignore_imports" not in text and "allow_indirect_imports" not in text


def test_a_room_importing_flask_breaks_the_contract(tmp_path):
    """The check can fail: the same contract over a copy with one bad import is broken."""
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "gatekeeper", copy / "gatekeeper", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "consent_db", copy / "consent_db", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    takedown = copy / "gatekeeper" / "gate" / "takedown.py"
    takedown.write_text("import flask  # noqa\n" + takedown.read_text())
    env = {**os.environ, "PYTHONPATH": str(copy)}
    result = subprocess.run([lint_imports(), "--config", str(copy / ".importlinter"), "--no-cache"], cwd=copy,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "gatekeeper.gate.takedown -> flask" in result.stdout
