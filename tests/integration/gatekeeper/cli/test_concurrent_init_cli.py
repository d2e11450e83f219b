"""Two `gatekeeper init` processes started together on one PostgreSQL database and instance folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from consent_db import audit
from consent_db.db import make_engine, make_session_factory
from consent_db.models import Account, Setting


@pytest.mark.postgres
def test_both_succeed_and_only_one_makes_the_manager(tmp_path, postgres_url):
    env = {**os.environ, "GATEKEEPER_DATABASE_URL": postgres_url}
    command = [sys.executable, "-m", "gatekeeper", "init", "--instance", str(tmp_path / "instance"), "--json"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    made = [json.loads(out) for out, _ in outputs]
    assert sorted(bool(m["manager_one_time_password"]) for m in made) == [False, True]
    assert sum(m["keys_created"] for m in made) == 1
    engine = make_engine(postgres_url)
    try:
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Setting)) == 1
            assert session.scalar(select(func.count()).select_from(Account)) == 1
            assert audit.verify_chain(session).ok
    finally:
        engine.dispose()
