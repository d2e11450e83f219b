"""The local folder channel: atomic, idempotent, readable by the web server, and refusing bad requests."""
from __future__ import annotations

import errno
import stat

import pytest

from gatekeeper.publishers.base import (
    PublishedRef,
    PublisherMisconfigured,
    PublisherUnavailable,
    PublishRefused,
    new_object_name,
)
from gatekeeper.publishers.local_folder import LocalFolderPublisher


@pytest.fixture
def channel(tmp_path):
    return LocalFolderPublisher(tmp_path / "channels" / "website")


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "clean.jpg"
    path.write_bytes(b"\xff\xd8 sanitised bytes \xff\xd9")
    return path


def test_publishing_puts_the_bytes_under_the_random_name_readable_by_the_web_server(channel, photo):
    name = new_object_name(".jpg")

    ref = channel.publish(photo, object_name=name, content_type="image/jpeg")

    published = channel.folder / name
    assert ref == PublishedRef(name, str(published))
    assert published.read_bytes() == photo.read_bytes()
    assert stat.S_IMODE(published.stat().st_mode) == 0o644
    assert sorted(p.name for p in channel.folder.iterdir()) == [name]
    assert channel.exists(name)


def test_publishing_the_same_name_again_returns_the_same_ref_and_keeps_the_first_copy(channel, photo, tmp_path):
    name = new_object_name(".jpg")
    first = channel.publish(photo, object_name=name, content_type="image/jpeg")
    other = tmp_path / "other.jpg"
    other.write_bytes(b"other bytes")

    again = channel.publish(other, object_name=name, content_type="image/jpeg")

    assert again == first
    assert (channel.folder / name).read_bytes() == photo.read_bytes()
    assert len(list(channel.folder.iterdir())) == 1


def test_a_copy_that_fails_half_way_leaves_no_partial_file(channel, photo, monkeypatch):
    name = new_object_name(".jpg")

    def broken_copy(src, dst, length=0):
        dst.write(src.read(4))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("gatekeeper.publishers.local_folder.shutil.copyfileobj", broken_copy)
    with pytest.raises(PublisherUnavailable, match="No space left on device"):
        channel.publish(photo, object_name=name, content_type="image/jpeg")

    assert list(channel.folder.iterdir()) == []
    assert list(channel.staging.iterdir()) == []
    assert not channel.exists(name)


def test_removing_takes_the_file_down_and_removing_again_is_fine(channel, photo):
    name = new_object_name(".mov")
    ref = channel.publish(photo, object_name=name, content_type="video/quicktime")

    channel.remove(ref)
    channel.remove(ref)
    channel.remove(name)

    assert not channel.exists(name)
    assert list(channel.folder.iterdir()) == []


def test_removing_from_a_channel_never_published_to_is_fine(channel):
    channel.remove(new_object_name(".jpg"))
    assert not channel.folder.exists()


def test_new_names_are_letters_and_digits_so_no_store_rewrites_them():
    # WordPress trims a leading "-" or "_" and folds "--": such a name would come back as another.
    stems = {new_object_name(".jpg").removesuffix(".jpg") for _ in range(2000)}
    assert len(stems) == 2000 and all(len(stem) == 24 and stem.isalnum() and stem.isascii() for stem in stems)


def test_a_name_made_before_names_were_letters_only_can_still_be_taken_down(channel, photo):
    earlier = "-q3X_f" + "a" * 18 + ".jpg"
    channel.publish(photo, object_name=earlier, content_type="image/jpeg")
    channel.remove(earlier)
    assert not channel.exists(earlier)


@pytest.mark.parametrize("bad", [
    "../../etc/passwd.jpg", "photo.jpg", "Amelia-Smith-nursery-trip-2024.jpg", "a/" + "x" * 24 + ".jpg",
    "x" * 24, "x" * 24 + ".JPG", "", None,
])
def test_a_name_not_shaped_like_new_object_names_is_refused(channel, photo, bad):
    with pytest.raises(PublishRefused, match="not a published object name"):
        channel.publish(photo, object_name=bad, content_type="image/jpeg")
    with pytest.raises(PublishRefused):
        channel.remove(bad)
    with pytest.raises(PublishRefused):
        channel.exists(bad)
    assert not channel.folder.exists()


def test_a_type_the_gatekeeper_does_not_publish_is_refused(channel, photo):
    with pytest.raises(PublishRefused, match="not a type the gatekeeper publishes"):
        channel.publish(photo, object_name=new_object_name(".jpg"), content_type="text/html")


def test_a_name_whose_extension_does_not_match_the_type_is_refused(channel, photo):
    with pytest.raises(PublishRefused, match=r"must end in \.png"):
        channel.publish(photo, object_name=new_object_name(".jpg"), content_type="image/png")


def test_a_missing_source_is_refused(channel, tmp_path):
    with pytest.raises(PublishRefused, match="not a file"):
        channel.publish(tmp_path / "gone.jpg", object_name=new_object_name(".jpg"), content_type="image/jpeg")


def test_a_folder_path_that_is_a_file_is_a_misconfiguration(tmp_path, photo):
    (tmp_path / "website").write_text("not a folder")
    channel = LocalFolderPublisher(tmp_path / "website")
    with pytest.raises(PublisherMisconfigured, match="website"):
        channel.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    with pytest.raises(PublisherMisconfigured, match="is not a folder"):
        channel.check()


def test_check_accepts_a_folder_that_will_be_made_on_first_publish(channel):
    channel.check()
    assert not channel.folder.exists()
    assert channel.describe() == f"local folder {channel.folder}"


def test_new_object_names_are_random_and_carry_only_the_extension():
    names = {new_object_name(".jpg") for _ in range(200)}
    assert len(names) == 200
    assert all(name.endswith(".jpg") and len(name) == 28 for name in names)
    assert new_object_name("mp4").endswith(".mp4")


@pytest.mark.parametrize("bad", [".exe", "html", ".JPG", None])
def test_new_object_name_refuses_extensions_the_gatekeeper_does_not_publish(bad):
    with pytest.raises(PublishRefused):
        new_object_name(bad)


# --- partial copies: staged beside the served folder, never inside it ------------------------------

KILL_BETWEEN_WRITE_AND_RENAME = r"""
import os, sys
from pathlib import Path
from gatekeeper.publishers.local_folder import LocalFolderPublisher

def killed(*args):
    os.kill(os.getpid(), 9)  # the process dies with the copy written and not yet renamed

os.replace = killed
LocalFolderPublisher(Path(sys.argv[1])).publish(Path(sys.argv[2]), object_name=sys.argv[3], content_type="image/jpeg")
"""


def _kill_mid_publish(channel, photo, name):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    done = subprocess.run([sys.executable, "-c", KILL_BETWEEN_WRITE_AND_RENAME, str(channel.folder), str(photo), name],
                          cwd=root, capture_output=True)
    assert done.returncode == -9, done.stderr


def _age(path, seconds):
    import os
    import time

    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_publisher_killed_between_write_and_rename_leaves_nothing_in_the_served_folder(channel, photo):
    name = new_object_name(".jpg")

    _kill_mid_publish(channel, photo, name)

    assert list(channel.folder.iterdir()) == []
    parts = list(channel.staging.iterdir())
    assert [p.read_bytes() for p in parts] == [photo.read_bytes()]
    assert channel.staging.parent == channel.folder.parent
    assert stat.S_IMODE(channel.staging.stat().st_mode) == 0o700


def test_a_stale_partial_copy_is_reported_then_cleaned_and_a_fresh_one_is_left_alone(channel, photo):
    stale, fresh = new_object_name(".jpg"), new_object_name(".jpg")
    _kill_mid_publish(channel, photo, stale)
    _age(next(channel.staging.iterdir()), 7200)
    _kill_mid_publish(channel, photo, fresh)

    found = channel.leftovers(older_than_s=3600)
    removed = channel.clean_leftovers(older_than_s=3600)

    assert len(found) == 1 and stale in found[0]
    assert removed == found
    assert [p.name.split(".")[0] for p in channel.staging.iterdir()] == [fresh.split(".")[0]]


def test_a_partial_copy_left_in_the_served_folder_by_an_older_version_is_cleaned_at_any_age(channel):
    channel.folder.mkdir(parents=True)
    legacy = channel.folder / ".publishing-k2j3h4"
    legacy.write_bytes(b"half a photo")

    assert channel.leftovers(older_than_s=3600) == [str(legacy)]
    channel.clean_leftovers(older_than_s=3600)

    assert list(channel.folder.iterdir()) == []


def test_takedown_removes_the_partial_copy_a_crashed_publish_of_that_name_left(channel, photo):
    name, other = new_object_name(".jpg"), new_object_name(".jpg")
    _kill_mid_publish(channel, photo, name)
    _kill_mid_publish(channel, photo, other)

    channel.remove(name)

    assert [p.name.startswith(other) for p in channel.staging.iterdir()] == [True]


def test_publishing_after_a_crash_of_the_same_name_puts_the_whole_file_in_place(channel, photo):
    name = new_object_name(".jpg")
    _kill_mid_publish(channel, photo, name)

    channel.publish(photo, object_name=name, content_type="image/jpeg")
    channel.remove(name)

    assert list(channel.folder.iterdir()) == []
    assert list(channel.staging.iterdir()) == []


def test_check_refuses_a_staging_folder_other_users_can_open(channel, photo):
    channel.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    channel.staging.chmod(0o755)

    with pytest.raises(PublisherMisconfigured, match="chmod 700"):
        channel.check()


def test_a_rename_across_filesystems_is_a_misconfiguration_that_leaves_nothing(channel, photo, monkeypatch):
    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr("gatekeeper.publishers.local_folder.os.replace", cross_device)
    with pytest.raises(PublisherMisconfigured, match="another filesystem"):
        channel.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")

    assert list(channel.folder.iterdir()) == []
    assert list(channel.staging.iterdir()) == []
