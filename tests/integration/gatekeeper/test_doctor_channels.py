"""`doctor` builds every channel's publisher from its row, checks it, and cleans what crashed publishes left."""
from __future__ import annotations

import os
import time
from pathlib import Path

from consent_db import records
from consent_db.audit import CLI
from gatekeeper.database import transaction
from gatekeeper.doctor import STALE_LEFTOVER_S, check_channel_leftovers, check_channels
from gatekeeper.publishers.local_folder import LocalFolderPublisher


def add_channels(app, **targets):
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name="Acorns")
        for slug, target in targets.items():
            records.add_channel(session, setting_id=setting.id, slug=slug, name=slug.title(),
                                description="Where parents look.", target=target, actor=CLI)


def test_no_channels_is_fine(app):
    assert check_channels(app).ok


def test_every_channel_is_checked_with_the_publisher_its_row_names(app, tmp_path):
    add_channels(app, website=None, screens={"kind": "local", "path": str(tmp_path / "screens")})

    finding = check_channels(app)

    assert finding.ok, finding.detail
    assert f"website (setting 1): local folder {Path(app.config['CHANNELS_DIR']).resolve() / 'website'}" in finding.detail
    assert f"screens (setting 1): local folder {tmp_path / 'screens'}" in finding.detail


def test_a_channel_that_cannot_be_published_to_fails_the_check_by_name(app, tmp_path):
    (tmp_path / "blocked").write_text("a file where a folder should be")
    add_channels(app, website=None, newsletter={"kind": "local", "path": str(tmp_path / "blocked" / "n")},
                 facebook={"kind": "carrier-pigeon"})

    finding = check_channels(app)

    assert not finding.ok
    assert "newsletter (setting 1): " in finding.detail and "is not a folder" in finding.detail
    assert "facebook (setting 1): unknown channel target kind 'carrier-pigeon'" in finding.detail


def test_stale_partial_copies_are_removed_and_named_and_fresh_ones_kept(app, tmp_path):
    add_channels(app, screens={"kind": "local", "path": str(tmp_path / "screens")})
    publisher = LocalFolderPublisher(tmp_path / "screens")
    publisher.staging.mkdir(mode=0o700)
    stale = publisher.staging / "A2o7w3dV8x0dWcG1s8r3Q9kq.jpg.x1y2.part"
    fresh = publisher.staging / "B2o7w3dV8x0dWcG1s8r3Q9kq.jpg.x1y2.part"
    stale.write_bytes(b"half a photo")
    fresh.write_bytes(b"being written now")
    then = time.time() - STALE_LEFTOVER_S - 60
    os.utime(stale, (then, then))

    finding = check_channel_leftovers(app)

    assert finding.ok
    assert f"removed 1 partial copy left by interrupted publishing: {stale}" == finding.detail
    assert not stale.exists() and fresh.exists()
    assert check_channel_leftovers(app).detail == "no partial copies left by interrupted publishing"


def test_a_channel_whose_partial_copies_cannot_be_looked_for_fails_by_name(app, tmp_path):
    add_channels(app, screens={"kind": "local", "path": str(tmp_path / "screens")})
    LocalFolderPublisher(tmp_path / "screens").staging.write_text("a file where the staging folder should be")

    finding = check_channel_leftovers(app)

    assert not finding.ok
    assert finding.detail.startswith("screens (setting 1): cannot finish looking for partial copies")
    assert not check_channels(app).ok
