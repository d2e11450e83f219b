"""Renditions: the exact pixels that will be published, made once per item and channel kind
from the sanitised file. The engine analyses the rendition, the Manager sees it, the approval
hashes it and the publisher writes it; nothing else leaves the box.

A still picture becomes an upright, opaque, 8-bit sRGB baseline JPEG (long side at most
PHOTO_LONG_SIDE); a video or an animated picture becomes an H.264 MP4 at a constant frame
rate holding every frame a viewer would see (long side at most VIDEO_LONG_SIDE), whose
stream holds coded pictures and nothing else.

Callers handle one exception, RenditionError, whose message is a sentence for the Manager.
"""
from gatekeeper.media.rendition.base import PHOTO_LONG_SIDE, VIDEO_LONG_SIDE, Rendition, RenditionError
from gatekeeper.media.rendition.checks import verify_rendition
from gatekeeper.media.rendition.make import output_kind, render

__all__ = ["PHOTO_LONG_SIDE", "VIDEO_LONG_SIDE", "Rendition", "RenditionError", "output_kind", "render",
           "verify_rendition"]
