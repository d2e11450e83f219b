"""Every job at least once: analyses that no live job will finish are queued again, exactly once."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask import Flask

from gatekeeper.jobs.backends import backend_for
from gatekeeper.jobs.leases import LEASE_S, Lease, lease_key
from gatekeeper.jobs.recovery import ANALYSE_JOB, GRACE_S, requeue_lost_analyses
from gatekeeper.jobs.runner import Jobs, TaskSpec
from gatekeeper.processes import HOST, this_process

NOW = 1_800_000_000.0


@pytest.fixture
def jobs(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    ran = []
    return Jobs(Flask("test"), backend_for(url).make_huey(url),
                {ANALYSE_JOB: TaskSpec(lambda app, **kw: ran.append(kw))})


def queued(jobs) -> list[str]:
    return sorted(kwargs["public_id"] for kwargs in jobs.waiting(ANALYSE_JOB))


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def hold_lease(jobs, public_id, *, pid, token="old-process", host=HOST, until=NOW + LEASE_S):
    jobs.huey.storage.put_data(lease_key(ANALYSE_JOB, {"public_id": public_id}),
                               Lease(host, pid, token, until).to_json().encode())


def test_a_job_running_when_its_process_died_is_queued_again_once(jobs):
    hold_lease(jobs, "item-a", pid=dead_pid())

    first = requeue_lost_analyses(jobs, ["item-a"], now=NOW)
    second = requeue_lost_analyses(jobs, ["item-a"], now=NOW + 1)

    assert first.requeued == ["item-a"] and second.requeued == []
    assert queued(jobs) == ["item-a"]
    assert jobs.leases.find(lease_key(ANALYSE_JOB, {"public_id": "item-a"})) is None


def test_a_lease_from_a_process_of_the_same_pid_but_an_earlier_life_is_dead(jobs):
    hold_lease(jobs, "item-a", pid=os.getpid(), token="before-the-restart")

    assert requeue_lost_analyses(jobs, ["item-a"], now=NOW).requeued == ["item-a"]


def test_a_job_running_now_in_a_live_process_is_left_alone(jobs):
    me = this_process()
    hold_lease(jobs, "item-a", pid=me.pid, token=me.token)
    hold_lease(jobs, "item-b", pid=1, host="another-machine")

    result = requeue_lost_analyses(jobs, ["item-a", "item-b"], now=NOW)

    assert result.requeued == [] and queued(jobs) == []


def test_a_lease_on_another_machine_that_was_not_renewed_names_a_dead_job(jobs):
    hold_lease(jobs, "item-b", pid=1, host="another-machine", until=NOW - 1)

    assert requeue_lost_analyses(jobs, ["item-b"], now=NOW).requeued == ["item-b"]


def test_a_job_waiting_in_the_queue_is_not_queued_twice(jobs):
    jobs.enqueue(ANALYSE_JOB, public_id="item-a")

    result = requeue_lost_analyses(jobs, ["item-a"], now=NOW)
    later = requeue_lost_analyses(jobs, ["item-a"], now=NOW + 10 * GRACE_S)

    assert result.requeued == later.requeued == [] and queued(jobs) == ["item-a"]


def test_a_job_scheduled_for_a_retry_counts_as_waiting(jobs):
    jobs._tasks[ANALYSE_JOB].schedule(kwargs={"public_id": "item-a"}, delay=600)

    assert requeue_lost_analyses(jobs, ["item-a"], now=NOW).noted == []
    assert requeue_lost_analyses(jobs, ["item-a"], now=NOW + 2 * GRACE_S).requeued == []


def test_an_item_without_any_job_is_noted_first_and_queued_once_the_grace_has_passed(jobs):
    first = requeue_lost_analyses(jobs, ["item-c"], now=NOW)
    too_soon = requeue_lost_analyses(jobs, ["item-c"], now=NOW + GRACE_S / 2)
    late = requeue_lost_analyses(jobs, ["item-c"], now=NOW + GRACE_S)
    after = requeue_lost_analyses(jobs, ["item-c"], now=NOW + 3 * GRACE_S)

    assert (first.noted, first.requeued) == (["item-c"], [])
    assert too_soon.requeued == []
    assert late.requeued == ["item-c"]
    assert after.requeued == [] and queued(jobs) == ["item-c"]


def test_a_noted_item_that_got_its_job_meanwhile_is_forgotten(jobs):
    requeue_lost_analyses(jobs, ["item-c"], now=NOW)
    jobs.enqueue(ANALYSE_JOB, public_id="item-c")
    jobs.huey.flush()  # the job ran and the item moved on

    assert requeue_lost_analyses(jobs, [], now=NOW + GRACE_S).requeued == []
    assert requeue_lost_analyses(jobs, ["item-c"], now=NOW + GRACE_S + 1).noted == ["item-c"]


def test_a_running_job_holds_a_lease_while_it_runs_and_none_after(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    seen = []
    jobs_box = []

    def look(app, **kwargs):
        seen.append(jobs_box[0].leases.find(lease_key("look", kwargs)))

    jobs = Jobs(Flask("test"), backend_for(url).make_huey(url), {"look": TaskSpec(look)})
    jobs_box.append(jobs)
    jobs.enqueue("look", public_id="x")
    jobs.huey.execute(jobs.huey.dequeue())

    me = this_process()
    assert [(lease.host, lease.pid, lease.token) for lease in seen] == [(me.host, me.pid, me.token)]
    assert seen[0].is_alive(seen[0].until - 1)
    assert jobs.leases.find(lease_key("look", {"public_id": "x"})) is None


def test_a_job_cut_short_by_shutdown_goes_back_to_the_queue_without_its_lease(jobs):
    jobs.enqueue(ANALYSE_JOB, public_id="item-a")
    task = jobs.huey.dequeue()
    key = lease_key(ANALYSE_JOB, {"public_id": "item-a"})
    jobs.leases.take(key)
    jobs.huey._tasks_in_flight.add(task)

    jobs.huey.notify_interrupted_tasks()

    assert queued(jobs) == ["item-a"]
    assert jobs.leases.find(key) is None


def test_a_long_job_keeps_its_lease_fresh_while_it_runs(jobs, monkeypatch):
    import time

    from gatekeeper.jobs import leases

    monkeypatch.setattr(leases, "RENEW_EVERY_S", 0.05)
    clock = [NOW]
    jobs.leases.clock = lambda: clock[0]
    key = lease_key(ANALYSE_JOB, {"public_id": "item-a"})
    jobs.leases.take(key)
    clock[0] = NOW + 60  # a minute into the job

    deadline = time.monotonic() + 5
    while jobs.leases.find(key).until < NOW + 60 + LEASE_S and time.monotonic() < deadline:
        time.sleep(0.02)

    assert jobs.leases.find(key).until == NOW + 60 + LEASE_S
    jobs.leases.drop(key)
    assert jobs.leases.find(key) is None
