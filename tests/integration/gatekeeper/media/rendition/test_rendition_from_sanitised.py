"""Sanitiser then rendition, on the shared media corpus: every kept item renders, verifies,
comes out upright, and carries no marker the original hid anywhere."""
from __future__ import annotations

import pytest
from PIL import Image

from gatekeeper.media import sanitize_file
from gatekeeper.media.base import Kind
from gatekeeper.media.rendition import output_kind, render, verify_rendition
from tests.media_checks import close, corner_colours, is_upright, markers_in
from tests.media_factory import BUILDERS, upright_picture
from tests.rendition_clips import frames_of

KEPT = [name for name in BUILDERS if name.startswith(("everything", "orientation", "animated", "gps_in",
                                                       "tagged", "untagged"))]


@pytest.fixture(scope="module")
def rendered(corpus, tmp_path_factory):
    clean = tmp_path_factory.mktemp("sanitised")
    out = tmp_path_factory.mktemp("renditions")
    results = {}
    for name in KEPT:
        sanitised = sanitize_file(corpus[name], clean, stem=corpus[name].stem)
        results[name] = (output_kind(sanitised.path), render(sanitised.path, out, stem=corpus[name].stem))
    return results


@pytest.mark.parametrize("name", KEPT)
def test_every_sanitised_item_renders_to_a_verified_rendition_of_its_kind(rendered, name):
    kind, rendition = rendered[name]
    assert rendition.kind is kind
    assert kind is (Kind.VIDEO if name.startswith("animated") or name.endswith((".mp4", ".mov")) else Kind.PHOTO)
    verify_rendition(rendition.path, kind)


@pytest.mark.parametrize("name", KEPT)
def test_the_rendition_is_upright_and_holds_no_marker(rendered, name):
    _, rendition = rendered[name]
    assert markers_in(rendition.path.read_bytes()) == []
    if rendition.kind is Kind.PHOTO:
        assert is_upright(rendition.path)
    elif not name.startswith("animated"):
        # The corpus stores upright pixels and a display matrix, so a player shows them turned
        # clockwise by the named angle; the rendition must show the same.
        turn = {"rotated_90": Image.Transpose.ROTATE_270, "rotated_180": Image.Transpose.ROTATE_180}
        method = next((m for key, m in turn.items() if key in name), None)
        seen = upright_picture() if method is None else upright_picture().transpose(method)
        shown = corner_colours(Image.fromarray(frames_of(rendition.path)[0]))
        assert all(close(shown[k], v) for k, v in corner_colours(seen).items()), shown
