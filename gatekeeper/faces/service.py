"""Analyse files as photos or videos with the configured engine; the entry point for scan and jobs."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from gatekeeper.faces.analysis import Analysis
from gatekeeper.faces.engine import analyse_photo, failed
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import FaceEngine, PluginError, build_engine
from gatekeeper.faces.video import analyse_video

# ISO base media brands that are still pictures (HEIC/HEIF/AVIF); any other ftyp is a video.
_PICTURE_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3",)  # Matroska / WebM
NOBODY_ENROLLED = "nobody in this setting is enrolled for face matching"


def is_video(path: str | Path) -> bool:
    """Whether the file's first bytes say video (ISO BMFF other than HEIF/AVIF, Matroska, AVI)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[4:8] == b"ftyp":
        return head[8:12] not in _PICTURE_BRANDS
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    return head.startswith(_VIDEO_MAGIC)


def analyse_file(path: str | Path, engine: FaceEngine, gallery: Gallery) -> Analysis:
    """One file's faces, as a photo or a video by its bytes; never raises for bad files."""
    try:
        video = is_video(path)
    except OSError as exc:
        return failed(f"{Path(path).name} cannot be read ({exc.strerror})", engine.name)
    analyse = analyse_video if video else analyse_photo
    return analyse(path, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)


def scan_files(paths: Sequence[str | Path], config: Mapping[str, Any], gallery: Gallery) -> list[tuple[str, Analysis]]:
    """Each file's analysis; when the models are unusable every file fails with the reason."""
    try:
        engine = build_engine(config)
    except (PluginError, ModelError) as exc:
        return [(str(path), failed(str(exc))) for path in paths]
    return [(str(path), analyse_file(path, engine, gallery)) for path in paths]


def gallery_for_setting(session, data_key: bytes, *, setting_id: int, at) -> Gallery:
    """The templates of the setting's people whose face-matching consent is in force at `at`."""
    from consent_db.templates import load_gallery

    pairs = load_gallery(session, data_key, setting_id=setting_id, at=at)
    return Gallery(pairs, note="" if pairs else NOBODY_ENROLLED)

