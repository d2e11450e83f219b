"""Upgrading: an instance whose database is at an earlier schema revision, with data in it, is brought to
head by `gatekeeper init` (what follows `pip install -U`), on SQLite and PostgreSQL, and its data survives."""
from __future__ import annotations

import pytest

from consent_db import migrate
from consent_db.db import make_engine
from tests.integration.gatekeeper.cli.instance_data import Operator, counts, with_data

# The first revision with the outbox, and whatever revision the newest one upgrades from.
EARLIER = ["0005_outbox", "before-head"]


def earlier_revision(name: str) -> str:
    return migrate.revision_before(migrate.head_revision()) if name == "before-head" else name


@pytest.fixture(params=["sqlite", "postgresql"])
def operator(request, tmp_path) -> Operator:
    if request.param == "sqlite":
        return Operator(tmp_path / "instance")
    return Operator(tmp_path / "instance", env={"GATEKEEPER_DATABASE_URL": request.getfixturevalue("postgres_url")})


@pytest.mark.parametrize("earlier", EARLIER)
def test_init_upgrades_an_instance_with_data_from_an_earlier_revision(operator, faces_dir, earlier):
    data = with_data(operator, faces_dir)
    consent_before = operator.json("consent", "show", data["child"])
    item_before = operator.json("queue", "show", data["item"])
    rows_before = counts(operator.database_url)
    revision = earlier_revision(earlier)
    # The schema an instance of that version had; the rows its tables hold stay.
    engine = make_engine(operator.database_url)
    try:
        migrate.downgrade(engine, revision)
        assert migrate.current_revision(engine) == revision
    finally:
        engine.dispose()
    (operator.instance / "instance-id").unlink()  # versions before ids had none
    assert "code expects" in operator("doctor", code=1).output

    upgraded = operator.json("init")

    assert upgraded["schema"] == migrate.head_revision()
    assert upgraded["manager_one_time_password"] is None, "the existing Manager is kept"
    assert upgraded["instance_id"] == "gatekeeper", "an instance from before ids keeps its queue name"
    assert counts(operator.database_url) == rows_before
    assert operator.json("consent", "show", data["child"]) == consent_before
    assert operator.json("queue", "show", data["item"])["state"] == item_before["state"]
    assert "intact" in operator("audit", "verify").output
    [published] = (operator.instance / "channels" / "website").iterdir()
    operator("takedown", data["item"])
    assert not published.exists(), "a copy published before the upgrade is still taken down"


def test_items_waiting_for_a_decision_are_analysed_again_when_the_detector_gains_its_degraded_pass(operator,
                                                                                                 faces_dir):
    data = with_data(operator, faces_dir)
    assert operator.json("queue", "show", data["held"])["state"] == "held"
    published_before = operator.json("queue", "show", data["item"])
    engine = make_engine(operator.database_url)
    try:
        migrate.downgrade(engine, "0010_channels")
    finally:
        engine.dispose()
    operator.json("init")
    assert operator.json("queue", "show", data["held"])["state"] == "analysing"
    assert operator.json("queue", "show", data["item"]) == published_before, "an item live on a channel stays"


def test_init_on_a_new_instance_gives_it_an_id_of_its_own(tmp_path):
    first = Operator(tmp_path / "one").json("init")["instance_id"]
    second = Operator(tmp_path / "two").json("init")["instance_id"]
    assert first != second and first.startswith("gk-")
    assert Operator(tmp_path / "one").json("init")["instance_id"] == first, "init again keeps it"
