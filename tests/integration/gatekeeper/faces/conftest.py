"""Real YuNet and SFace, built once per test session."""
import pytest


@pytest.fixture(scope="session")
def engine():
    from gatekeeper.faces.plugins import build_engine

    return build_engine({"DETECTOR": "yunet", "RECOGNISER": "sface"})


@pytest.fixture(scope="session")
def picture(faces_dir):
    from gatekeeper.faces.engine import load_picture

    return lambda relative: load_picture(faces_dir / relative)
