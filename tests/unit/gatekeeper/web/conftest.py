"""Web tests: an app on a copy of one migrated SQLite database, a small world, signed-in clients."""
from __future__ import annotations

import shutil

import pytest

from tests.web_world import FAST_ARGON2, build_world, sign_in_directly


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    from consent_db import migrate
    from consent_db.db import make_engine

    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


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


@pytest.fixture
def consent_changes(app):
    """Every change handed to the gate after commit, recorded instead of enqueued."""
    from gatekeeper.web.services import consent_effects

    seen = []
    consent_effects.init_app(app, hook=lambda _app, change: seen.append(change))
    return seen


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
    from gatekeeper.gate.context import gate_context
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
