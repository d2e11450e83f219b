"""The app's job service: tasks registered by name, enqueued after commit, run by huey consumers."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, current_app
from huey import Huey, crontab
from huey.signals import SIGNAL_ERROR, SIGNAL_INTERRUPTED
from huey.consumer import Consumer

from gatekeeper.jobs.backends import QUEUE_NAME, backend_for
from gatekeeper.jobs.heartbeat import Heartbeat
from gatekeeper.jobs.leases import Leases, lease_key

log = logging.getLogger(__name__)
EXTENSION = "gatekeeper.jobs"
# On SIGTERM running jobs get this long to finish; the rest go back to the queue. Docker waits 10 s
# before SIGKILL, systemd 90 s.
SHUTDOWN_GRACE_S = 8.0


class UnknownJob(KeyError):
    """A job name that no task was registered under."""


@dataclass(frozen=True)
class TaskSpec:
    """A job: the function (called with the app and keyword arguments) and how to retry it."""

    func: Callable[..., Any]
    retries: int = 5
    retry_delay: int = 5  # seconds, doubled at each retry
    every_minute: bool = False  # also run on schedule, with no arguments
    # Called (app, error sentence, **the job's arguments) once the last retry has failed.
    on_give_up: Callable[..., None] | None = None


class Jobs:
    """Enqueue jobs by name; each runs inside an app context, retried with backoff."""

    def __init__(self, app: Flask, huey: Huey, tasks: dict[str, TaskSpec]):
        self.app = app
        self.huey = huey
        self.leases = Leases(huey)
        self._tasks = {}
        self._specs = dict(tasks)
        for name, spec in tasks.items():
            self._tasks[name] = self._register(name, spec)
        self.huey.signal(SIGNAL_ERROR)(self._after_error)
        self.huey.signal(SIGNAL_INTERRUPTED)(self._after_interrupt)

    def _after_interrupt(self, signal, task, exc=None) -> None:
        """A job cut short by a stopping worker goes back to the queue, so the next worker runs it."""
        if task.name not in self._specs or self.huey.immediate:
            return  # (immediate: a Ctrl-C in a command that runs its jobs itself; nobody else would)
        try:
            self.huey.enqueue(task)
            log.warning("job %s %s was interrupted by shutdown and is queued again", task.name, task.kwargs)
        except Exception:  # noqa: BLE001 - the lease below then lets recovery find it
            log.exception("could not queue interrupted job %s again; recovery will", task.name)
            return
        self.leases.drop(lease_key(task.name, task.kwargs or {}))

    def _after_error(self, signal, task, exc=None) -> None:
        """Hand a job that has used up its retries to its give-up hook, so its failure is visible."""
        spec = self._specs.get(task.name)
        if task.retries or spec is None or spec.on_give_up is None:
            return
        error = f"{exc.__class__.__name__}: {exc}" if exc is not None else "the job failed"
        with self.app.app_context():
            try:
                spec.on_give_up(self.app, error, **(task.kwargs or {}))
            except Exception:  # noqa: BLE001 - a failing hook must not hide the job's own error
                log.exception("give-up hook of %s failed", task.name)

    def _register(self, name: str, spec: TaskSpec):
        app = self.app
        leases = self.leases
        huey = self.huey

        def run(**kwargs):
            # A lease says "running here, now", so a job whose process dies is found and run again.
            key = None if huey.immediate else lease_key(name, kwargs)
            if key is not None:
                leases.take(key)
            try:
                with app.app_context():
                    return spec.func(app, **kwargs)
            finally:
                if key is not None:
                    leases.drop(key)

        run.__name__ = name
        task = self.huey.task(retries=spec.retries, retry_delay=spec.retry_delay, retry_backoff=2, name=name)(run)
        if spec.every_minute:
            self.huey.periodic_task(crontab(minute="*"), name=f"{name}:periodic")(run)
        return task

    def enqueue(self, name: str, **kwargs: Any):
        """Queue a job; call only after the transaction it depends on has committed."""
        try:
            task = self._tasks[name]
        except KeyError:
            raise UnknownJob(name) from None
        return task(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def waiting(self, name: str) -> list[dict[str, Any]]:
        """The arguments of every queued or scheduled (retrying) job of this name."""
        tasks = [*self.huey.pending(), *self.huey.scheduled()]
        return [dict(task.kwargs or {}) for task in tasks if task.name == name]


class _EmbeddedConsumer(Consumer):
    """A consumer that lives inside `gatekeeper serve`, whose server owns the signals."""

    def _set_signal_handlers(self):
        pass


def queue_name(config) -> str:
    """JOBS_QUEUE, else the instance id: each instance on a shared Redis has a queue of its own."""
    return config.get("JOBS_QUEUE") or config.get("INSTANCE_ID") or QUEUE_NAME


def init_app(app: Flask, tasks: dict[str, TaskSpec]) -> Jobs:
    """Build the job service for JOBS_URL with the given tasks."""
    url = app.config["JOBS_URL"]
    jobs = Jobs(app, backend_for(url).make_huey(url, queue_name(app.config)), tasks)
    app.extensions[EXTENSION] = jobs
    return jobs


def jobs_of(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions[EXTENSION]


def start_embedded_consumer(jobs: Jobs, workers: int = 2) -> Consumer | None:
    """Run jobs in threads of this process (the embedded default); None when jobs run at once."""
    if jobs.huey.immediate:
        return None
    consumer = _EmbeddedConsumer(jobs.huey, workers=workers, worker_type="thread", periodic=True,
                                 shutdown_timeout=SHUTDOWN_GRACE_S)
    consumer.start()
    log.info("in-process job consumer started with %d threads", workers)
    return consumer


def stop_embedded_consumer(consumer: Consumer) -> None:
    """Let running jobs finish for a few seconds, then queue the unfinished ones again."""
    consumer.stop(graceful=True)
    consumer.huey.notify_interrupted_tasks()


def run_worker(jobs: Jobs, workers: int, *, grace_s: float = SHUTDOWN_GRACE_S) -> None:
    """Run a blocking consumer (`gatekeeper worker`) until SIGINT or SIGTERM.

    SIGTERM (systemd, Docker) stops it gracefully: no new jobs are taken, running ones get grace_s
    to finish, and those still running are queued again for the next worker. A second SIGTERM,
    or SIGINT, stops at once; unfinished jobs are still queued again.
    """
    heartbeat = Heartbeat(jobs.huey, float(jobs.app.config.get("WORKER_HEARTBEAT_SECONDS", 15))).start()
    try:
        Consumer(jobs.huey, workers=workers, worker_type="thread", periodic=True,
                 graceful_signal="TERM", shutdown_timeout=grace_s).run()
    finally:
        heartbeat.stop()
