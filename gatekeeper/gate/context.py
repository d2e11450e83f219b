"""The gate's collaborators: database, quarantine, face engine, channels, a way to queue jobs, the clock.

Built by the application layer (gatekeeper.app.context) once per app; free of Flask and the job queue."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy.orm import sessionmaker

from consent_db.models import Channel
from consent_db.timeutil import now
from gatekeeper.faces.plugins import FaceEngine, build_engine
from gatekeeper.media import Limits
from gatekeeper.notify import Mailer, mailer_from_config
from gatekeeper.publishers import default_target, publisher_for
from gatekeeper.publishers.base import Publisher
from gatekeeper.storage import keyring_from_config
from gatekeeper.storage.base import QuarantineStore
from gatekeeper.storage.chunks import ChunkStore
from gatekeeper.storage.workdirs import UPLOADS_FOLDER, process_work_dir


@dataclass
class GateContext:
    """Everything a gate service needs; tests build one with fakes."""

    config: Mapping[str, Any]
    sessions: sessionmaker
    store: QuarantineStore
    enqueue: Callable[..., Any]  # (job name, **kwargs); call only after commit
    clock: Callable[[], datetime] = now
    engine_factory: Callable[[Mapping[str, Any]], FaceEngine] = build_engine
    publisher_factory: Callable[[Mapping[str, Any]], Publisher] = publisher_for
    mailer_factory: Callable[[Mapping[str, Any]], Mailer | None] = mailer_from_config
    _engines: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def data_key(self) -> bytes:
        return self.config["DATA_KEY"]

    @property
    def limits(self) -> Limits:
        return Limits(max_bytes=int(self.config["MAX_UPLOAD_BYTES"]))

    @property
    def work_dir(self) -> Path:
        """Scratch space for files on their way in or out, inside the private quarantine folder.

        One folder per process, so what a killed process left is recognised and removed (workdirs.py).
        """
        return process_work_dir(Path(self.config["QUARANTINE_DIR"]) / ".work")

    @property
    def uploads(self) -> ChunkStore:
        """Unfinished chunked uploads, sealed, in their own folder under the work root."""
        return ChunkStore(Path(self.config["QUARANTINE_DIR"]) / ".work" / UPLOADS_FOLDER, keyring_from_config(self.config),
                          chunk_bytes=int(self.config["UPLOAD_CHUNK_BYTES"]),
                          max_bytes=int(self.config["MAX_UPLOAD_BYTES"]),
                          max_open=int(self.config["UPLOAD_MAX_OPEN"]))

    def engine(self) -> FaceEngine:
        """This thread's face engine; raises PluginError or ModelError (the item is then held)."""
        # OpenCV networks are not safe to share between threads running jobs at once.
        engine = getattr(self._engines, "engine", None)
        if engine is None:
            engine = self.engine_factory(self.config)
            self._engines.engine = engine
        return engine

    def channel_target(self, channel: Channel) -> dict:
        """The channel's publishing target; the embedded default is a folder under CHANNELS_DIR."""
        return dict(channel.target) if channel.target else default_target(self.config["CHANNELS_DIR"], channel.slug)

    def publisher(self, target: Mapping[str, Any]) -> Publisher:
        return self.publisher_factory(target)

    def mailer(self) -> Mailer | None:
        """The configured mailer, or None when notifications stay in the pages."""
        return self.mailer_factory(self.config)

    @property
    def public_url(self) -> str:
        return str(self.config.get("PUBLIC_URL") or "")
