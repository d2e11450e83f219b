"""The generated media corpus, built once per session, shared with the integration tests."""
from __future__ import annotations

import pytest

from tests.media_factory import Corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.getbasetemp() / "media-corpus")


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "clean"
    folder.mkdir()
    return folder
