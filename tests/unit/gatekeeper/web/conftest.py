"""Web tests: an app on a copy of one migrated SQLite database, a small world, signed-in clients."""
from __future__ import annotations

import shutil
from collections.abc import Sequence

import pytest

from tests.web_world import FAST_ARGON2, build_world, sign_in_directly


@pytest.fixture
def app(instance_dir, migrated_db):
    from gatekeeper import create_app
    from gatekeeper.database import session_factory
    from gatekeeper.doctor import ensure_folders

    db_path = instance_dir / "gatekeeper.db"
    shutil.copy(migrated_db, db_path)
    application = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://",
                              "DATABASE_URL": f"sqlite:///{db_path}", **FAST_ARGON2},
                             instance_dir=str(instance_dir))
    ensure_folders(application)
    yield application
    session_factory(application).kw["bind"].dispose()


@pytest.fixture
def world(app):
    return build_world(app)


class OutboxEvents(Sequence):
    """The consent-change events the app wrote to its outbox so far, read afresh at each look."""

    def __init__(self, app):
        self.app = app

    def _events(self):
        from sqlalchemy import select

        from consent_db.models import OutboxRow
        from gatekeeper.app.events import ConsentChanged
        from gatekeeper.database import session_factory

        with session_factory(self.app)() as session:
            rows = session.scalars(select(OutboxRow).where(OutboxRow.kind == ConsentChanged.kind)
                                   .order_by(OutboxRow.id))
            return [ConsentChanged(**row.payload) for row in rows]

    def __getitem__(self, index):
        return self._events()[index]

    def __len__(self):
        return len(self._events())

    def __eq__(self, other):
        return self._events() == list(other)


@pytest.fixture
def consent_changes(app):
    """Every consent change recorded as an event in the outbox (and so handed to the worker)."""
    return OutboxEvents(app)


@pytest.fixture
def manager(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.manager_id)
    return client


@pytest.fixture
def staff(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.staff_id, device_token=world.device_token)
    return client


@pytest.fixture
def parent(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.parent_id)
    return client


@pytest.fixture
def other_parent(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.other_parent_id)
    return client


@pytest.fixture
def fake_faces(app):
    """The gate's face engine replaced by fakes (subclasses of the real bases): one face in every picture."""
    from gatekeeper.faces.plugins import FaceEngine
    from gatekeeper.app.context import gate_context
    from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

    engine = FaceEngine(FixedDetector([face_row(60, 30, 60, 60)]), VectorRecogniser({60.0: unit(1)}))
    gate_context(app).engine_factory = lambda _config: engine
    return engine


@pytest.fixture
def photo_bytes():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (240, 160), (180, 200, 220)).save(out, format="JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def video_bytes(tmp_path):
    from tests.media_factory import write_clip

    return write_clip(tmp_path / "clip.mp4", fmt="mp4", width=240, height=160, frames=30).read_bytes()
