"""Channel kinds: each declares its target settings, its line for parents and whether copies come back;
targets are checked by the declaration and shown with their secrets hidden."""
from __future__ import annotations

import pytest

from gatekeeper.app.channels import build_target
from gatekeeper.publishers import KINDS, channel_kind, publisher_for, shown_target
from gatekeeper.publishers.base import InvalidTarget, PublishedRef, Publisher
from gatekeeper.publishers.kinds import SECRET_SHOWN_AS, ChannelKind, Takeback, TargetField
from gatekeeper.publishers.served import ServedPublisher


class TokenPublisher(Publisher):
    """A kind with a secret, as the WordPress and Facebook kinds have; moves no bytes."""

    kind = "token_test"

    def __init__(self, fields):
        self.fields = fields

    @classmethod
    def from_target(cls, target):
        return cls(TOKEN_KIND.read(target))

    def _publish(self, source, object_name, content_type):
        return self.ref_for(object_name)

    def _remove(self, object_name):
        return None

    def _exists(self, object_name):
        return False

    def ref_for(self, object_name):
        return PublishedRef(object_name, f"token-test/{object_name}")

    def check(self):
        return None

    def describe(self):
        return f"token test site {self.fields['site']}"


TOKEN_KIND = ChannelKind(
    name="token_test", label="A site reached with a token", where="on a test site", takeback=Takeback.NEVER,
    make=TokenPublisher.from_target,
    fields=(TargetField("site", "Site", required=True), TargetField("token", "Token", secret=True, required=True)),
)


@pytest.fixture
def token_kind(monkeypatch):
    monkeypatch.setitem(KINDS, TOKEN_KIND.name, TOKEN_KIND)
    return TOKEN_KIND


def test_the_registry_holds_the_folder_s3_display_and_gallery_kinds():
    assert {"local", "s3", "display", "family_gallery"} <= set(KINDS)
    assert all(name == kind.name for name, kind in KINDS.items())


@pytest.mark.parametrize("name, takeback", [
    ("local", Takeback.BY_DELETION), ("s3", Takeback.BY_DELETION),
    ("display", Takeback.ALWAYS), ("family_gallery", Takeback.ALWAYS),
])
def test_each_kind_says_in_plain_words_where_it_shows_and_whether_a_copy_comes_back(name, takeback):
    kind = channel_kind(name)
    assert kind.takeback is takeback
    assert kind.where and kind.label
    assert ("Cannot be taken back" in takeback.sentence()) is (takeback is Takeback.NEVER)


def test_the_served_kinds_only_record_a_publication_and_write_no_copy(tmp_path):
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"\xff\xd8\xff\xd9")
    for target in ({"kind": "display", "seconds_per_picture": 8}, {"kind": "family_gallery"}):
        publisher = publisher_for(target)
        assert isinstance(publisher, ServedPublisher)
        name = "A" * 24 + ".jpg"
        ref = publisher.publish(source, object_name=name, content_type="image/jpeg")
        assert ref.object_name == name and "served by the gatekeeper" in ref.location
        assert not publisher.exists(name)
        publisher.remove(name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg"]


@pytest.mark.parametrize("target, message", [
    ({"kind": "display", "seconds_per_picture": 1}, "between 3 and 600"),
    ({"kind": "display", "seconds_per_picture": "8"}, "must be int"),
    ({"kind": "display", "colour": "red"}, "unknown field\\(s\\) colour"),
    ({"kind": "family_gallery", "path": "/srv"}, "unknown field\\(s\\) path; allowed: nothing"),
    ({"kind": "family_gallery", "password": "hunter2"}, "must not hold credentials"),
])
def test_a_served_kinds_target_is_checked_by_its_declaration(target, message):
    with pytest.raises(InvalidTarget, match=message) as caught:
        publisher_for(target)
    assert "hunter2" not in str(caught.value)


def test_a_secret_the_kind_declares_is_accepted_and_never_shown_back(token_kind):
    target = {"kind": "token_test", "site": "https://acorns.test", "token": "s3cr3t-value"}
    assert publisher_for(target).fields["token"] == "s3cr3t-value"
    shown = shown_target(target)
    assert shown == {"kind": "token_test", "site": "https://acorns.test", "token": SECRET_SHOWN_AS}


def test_a_target_of_an_unknown_kind_is_shown_with_every_value_hidden():
    assert shown_target({"kind": "ftp", "password": "p", "host": "h"}) == {"kind": "ftp", "password": "(hidden)",
                                                                           "host": "(hidden)"}


def test_text_values_are_read_as_the_fields_type_and_a_missing_secret_keeps_the_stored_one(token_kind):
    assert build_target("display", {"seconds_per_picture": " 12 "}) == {"kind": "display", "seconds_per_picture": 12}
    assert build_target("s3", {"bucket": "photos", "public_read": "no"}) == {
        "kind": "s3", "bucket": "photos", "public_read": False}
    stored = {"kind": "token_test", "site": "https://old.test", "token": "kept"}
    assert build_target("token_test", {"site": "https://new.test", "token": ""}, keep=stored) == {
        "kind": "token_test", "site": "https://new.test", "token": "kept"}


def test_the_default_folder_needs_no_target():
    assert build_target("local", {}) is None
    assert build_target("local", {"path": "/srv/www/photos"}) == {"kind": "local", "path": "/srv/www/photos"}


@pytest.mark.parametrize("kind, values, message", [
    ("ftp", {}, "unknown channel target kind 'ftp'"),
    ("display", {"seconds_per_picture": "soon"}, "must be a whole number"),
    ("s3", {"public_read": "maybe", "bucket": "b"}, "must be yes or no"),
    ("display", {"path": "/x"}, "has no setting path"),
    ("s3", {}, "needs bucket"),
    ("local", {"path": "relative"}, "must be absolute"),
])
def test_bad_settings_are_refused_with_a_sentence(kind, values, message):
    with pytest.raises(InvalidTarget, match=message):
        build_target(kind, values)


def test_a_new_kind_needs_only_its_module_and_a_registry_entry(token_kind):
    target = build_target("token_test", {"site": "https://acorns.test", "token": "t"})
    publisher = publisher_for(target)
    assert isinstance(publisher, TokenPublisher) and publisher.describe() == "token test site https://acorns.test"
    with pytest.raises(InvalidTarget, match="needs token"):
        build_target("token_test", {"site": "https://acorns.test"})
