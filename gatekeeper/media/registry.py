"""The one place that says which formats are accepted: a type sniffed from the bytes maps
to exactly one handler, and a type with no handler is refused."""
from __future__ import annotations

from gatekeeper.media.base import Handler, MediaType
from gatekeeper.media.formats.gif import GifHandler
from gatekeeper.media.formats.heif import HeifHandler
from gatekeeper.media.formats.jpeg import JpegHandler
from gatekeeper.media.formats.png import PngHandler
from gatekeeper.media.formats.webp import WebpHandler
from gatekeeper.media.video import VideoHandler

REGISTRY: dict[MediaType, Handler] = {
    MediaType.JPEG: JpegHandler(),
    MediaType.PNG: PngHandler(),
    MediaType.GIF: GifHandler(),
    MediaType.WEBP: WebpHandler(),
    MediaType.HEIF: HeifHandler(),
    MediaType.MP4: VideoHandler(MediaType.MP4),
    MediaType.MOV: VideoHandler(MediaType.MOV),
}

# A handler writes one of these; verify_file accepts nothing else as a clean file.
OUTPUT_TYPES = frozenset(handler.produces for handler in REGISTRY.values())


def check_registry(registry: dict[MediaType, Handler] = REGISTRY) -> None:
    """Every handler sits under the type it accepts; raises ValueError at start-up if not."""
    for media_type, handler in registry.items():
        if handler.accepts is not media_type:
            raise ValueError(f"{type(handler).__name__} accepts {handler.accepts}, registered for {media_type}")
        if not handler.keeps:
            raise ValueError(f"{type(handler).__name__} declares no allowlist")


check_registry()
