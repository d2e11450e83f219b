""".ci/run: both runs happen, a failure in either fails CI, and "no tests collected" (exit 5) only
passes when arguments chose a selection that fits the other run."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def ci(tmp_path):
    """.ci/run in a scratch checkout whose scripts/test logs its arguments and exits as told."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "scripts").mkdir()
    fake = tmp_path / "scripts" / "test"
    fake.write_text('#!/usr/bin/env bash\n'
                    'echo "$GATEKEEPER_TEST_APP_DATABASE $*" >> calls.log\n'
                    'if [ "$GATEKEEPER_TEST_APP_DATABASE" = postgresql ]; then exit "$APP_RC"; fi\n'
                    'exit "$WHOLE_RC"\n')
    fake.chmod(0o755)
    for folder in ("tests/integration", "tests/e2e", "tests/unit/gatekeeper"):
        (tmp_path / folder).mkdir(parents=True)

    def run(*args: str, whole: int = 0, app: int = 0) -> tuple[int, list[str], str]:
        env = {"PATH": "/usr/bin:/bin", "WHOLE_RC": str(whole), "APP_RC": str(app)}
        result = subprocess.run(["bash", ".ci/run", *args], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=30)
        calls = (tmp_path / "calls.log").read_text().splitlines()
        (tmp_path / "calls.log").unlink()
        return result.returncode, calls, result.stderr

    return run


def test_the_whole_suite_runs_then_the_app_level_folders_that_exist_on_postgresql(ci):
    code, calls, _ = ci()
    assert code == 0
    assert calls == ["sqlite -q -p no:cacheprovider",
                     "postgresql -q -p no:cacheprovider tests/integration tests/e2e"]


def test_arguments_go_to_both_runs_and_named_paths_replace_the_folders(ci):
    _, calls, _ = ci("-x", "tests/e2e")
    assert calls == ["sqlite -q -p no:cacheprovider -x tests/e2e", "postgresql -q -p no:cacheprovider -x tests/e2e"]


@pytest.mark.parametrize("whole, app, expected", [(1, 0, 1), (0, 1, 1), (2, 1, 2), (0, 4, 4)])
def test_a_failure_in_either_run_fails_ci_and_both_runs_still_happen(ci, whole, app, expected):
    code, calls, _ = ci(whole=whole, app=app)
    assert code == expected
    assert len(calls) == 2


@pytest.mark.parametrize("whole, app", [(0, 5), (5, 0)])
def test_without_arguments_a_run_that_collects_nothing_fails(ci, whole, app):
    code, _, stderr = ci(whole=whole, app=app)
    assert code == 5
    assert "collected no tests" in stderr


@pytest.mark.parametrize("whole, app", [(0, 5), (5, 0)])
def test_a_selection_that_fits_only_one_run_passes(ci, whole, app):
    code, _, _ = ci("-k", "readyz", whole=whole, app=app)
    assert code == 0


def test_a_selection_that_fits_neither_run_fails(ci):
    code, _, stderr = ci("-k", "nothing", whole=5, app=5)
    assert code == 5
    assert "selected no tests in either run" in stderr


def test_a_real_failure_is_not_hidden_by_the_other_run_collecting_nothing(ci):
    code, _, _ = ci("-k", "readyz", whole=1, app=5)
    assert code == 1
