"""The media sanitiser: recognise a photo or video from its bytes, strip everything but the
pixels (or the main streams), turn it upright, verify the result, or refuse it in one sentence.

Callers handle one exception: `Refused` (and its kind `MetadataLeft`), whose `reason` is a
sentence to show a person. Rotation of a sanitised video stays in the MP4 display matrix;
read it with `video_rotation(path)` (clockwise degrees) or PyAV's `frame.rotation`
(counter-clockwise, FFmpeg's convention).
"""
from gatekeeper.media.base import (
    DEFAULT_LIMITS,
    Kind,
    Limits,
    MediaType,
    MetadataLeft,
    Refused,
    SanitisedMedia,
)
from gatekeeper.media.registry import REGISTRY
from gatekeeper.media.sanitise import sanitize_file, without_audio
from gatekeeper.media.sniffing import sniff
from gatekeeper.media.verify import verify_file
from gatekeeper.media.video import video_rotation

__all__ = [
    "DEFAULT_LIMITS", "Kind", "Limits", "MediaType", "MetadataLeft", "REGISTRY", "Refused",
    "SanitisedMedia", "sanitize_file", "sniff", "verify_file", "video_rotation", "without_audio",
]


def missing_capabilities() -> list[str]:
    """What the sanitiser needs from its libraries but cannot find (empty when all is there)."""
    import av
    import pillow_heif
    from PIL import features

    missing = [f"PyAV {name} decoder" for name in ("h264", "hevc") if name not in av.codecs_available]
    if not pillow_heif.libheif_info().get("decoders"):
        missing.append("a HEIF decoder in pillow-heif")
    missing += [f"Pillow {name} support" for name in ("jpg", "zlib", "webp") if not features.check(name)]
    return missing
