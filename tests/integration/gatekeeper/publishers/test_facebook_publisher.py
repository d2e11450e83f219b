"""The Facebook page publisher against a local server that follows the Graph API's documented
requests and answers (no Facebook server can run here; see the README for what that leaves untried)."""
from __future__ import annotations

import pytest

from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.base import (
    PublishedRef,
    PublisherMisconfigured,
    PublisherUnavailable,
    PublishRefused,
    new_object_name,
)
from tests.integration.gatekeeper.publishers.graph_api_server import Graph, error, serve
from tests.media_factory import plain_jpeg, upright_picture


@pytest.fixture
def graph():
    return Graph()


@pytest.fixture
def graph_url(graph):
    yield from serve(graph)


@pytest.fixture
def token_env(graph, monkeypatch):
    monkeypatch.setenv("GK_TEST_FB_TOKEN", graph.token)
    return "GK_TEST_FB_TOKEN"


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "rendition.jpg"
    path.write_bytes(plain_jpeg(upright_picture((320, 240))))
    return path


@pytest.fixture
def page(graph, graph_url, token_env):
    return publisher_for({"kind": "facebook", "page_id": graph.page_id, "page_token_env": token_env,
                          "graph_url": graph_url})


def test_a_photo_is_posted_to_the_page_with_its_caption_and_the_ids_are_kept(page, graph, photo):
    name = new_object_name(".jpg")

    ref = page.publish(photo, object_name=name, content_type="image/jpeg", caption="Sand and water play")

    assert set(graph.photos) == {ref.remote["photo_id"]}
    stored = graph.photos[ref.remote["photo_id"]]
    assert stored["data"] == photo.read_bytes()
    assert stored["type"] == "image/jpeg"
    assert stored["filename"] == name  # the random name, nothing about the child
    assert stored["message"] == "Sand and water play"
    assert ref.remote["post_id"] == stored["post_id"]
    upload = graph.requests[-1]
    assert upload["method"] == "POST" and upload["params"]["published"] == "true"
    assert "access_token" not in upload["query"]  # the token goes in the body, not the address
    assert page.exists(ref)


def test_a_photo_without_a_caption_sends_no_message(page, graph, photo):
    ref = page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg", caption="  ")
    assert graph.photos[ref.remote["photo_id"]]["message"] is None


def test_takedown_deletes_the_post_and_the_photo_and_again_is_fine(page, graph, photo):
    ref = page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")

    page.remove(ref)

    assert graph.photos == {} and graph.posts == set()
    deleted = [r["path"] for r in graph.requests if r["method"] == "DELETE"]
    assert deleted == [f"/v21.0/{ref.remote['post_id']}", f"/v21.0/{ref.remote['photo_id']}"]
    assert page.exists(ref) is False
    page.remove(ref)


def test_a_takedown_without_recorded_ids_deletes_nothing_and_says_so(page, graph, photo, caplog):
    page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    page.remove(PublishedRef(new_object_name(".jpg"), ""))
    assert len(graph.photos) == 1
    assert "no Facebook ids recorded" in caplog.text


def test_videos_are_refused_plainly(page, graph, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with pytest.raises(PublishRefused, match="publishes photos only"):
        page.publish(clip, object_name=new_object_name(".mp4"), content_type="video/mp4")
    assert graph.requests == []


def test_check_reads_the_page_with_the_token(page, graph):
    page.check()
    assert graph.requests[-1]["path"] == f"/v21.0/{graph.page_id}"
    assert graph.requests[-1]["params"]["fields"] == "id,name"
    assert graph.token not in page.describe()


def test_an_expired_token_is_a_misconfiguration_said_plainly(page, graph, photo, monkeypatch):
    monkeypatch.setenv("GK_TEST_FB_TOKEN", "EAAB-expired")
    with pytest.raises(PublisherMisconfigured, match="page access token is invalid or has expired"):
        page.check()
    with pytest.raises(PublisherMisconfigured, match="code 190"):
        page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limits_are_retryable(page, graph, photo, code):
    graph.fail_next.append((400, error("(#4) Application request limit reached", "OAuthException", code)))
    with pytest.raises(PublisherUnavailable, match="limiting requests"):
        page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    assert graph.photos == {}


@pytest.mark.parametrize("code", [1, 2])
def test_temporary_errors_are_retryable_and_a_takedown_then_succeeds(page, graph, photo, code):
    ref = page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    graph.fail_next.append((500, error("An unexpected error has occurred. Please retry your request later.",
                                       "OAuthException", code)))
    with pytest.raises(PublisherUnavailable, match="temporary problem"):
        page.remove(ref)
    assert len(graph.photos) == 1

    page.remove(ref)

    assert graph.photos == {}


def test_a_missing_permission_is_a_misconfiguration(page, graph, photo):
    graph.fail_next.append((403, error("(#200) The user hasn't authorized the application to perform this action",
                                       "OAuthException", 200)))
    with pytest.raises(PublisherMisconfigured, match="lacks a permission"):
        page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")


def test_an_unreachable_graph_api_is_retryable(graph, token_env, photo):
    from tests.integration.gatekeeper.publishers.wordpress_site import free_port
    page = publisher_for({"kind": "facebook", "page_id": graph.page_id, "page_token_env": token_env,
                          "graph_url": f"http://127.0.0.1:{free_port()}/v21.0", "timeout_s": 5})
    with pytest.raises(PublisherUnavailable, match="cannot reach"):
        page.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    with pytest.raises(PublisherUnavailable, match="cannot reach"):
        page.remove(PublishedRef(new_object_name(".jpg"), "", {"photo_id": "1", "post_id": "2_3"}))
