"""Walkers for the byte structure of each format: JPEG segments, PNG chunks, GIF blocks,
RIFF chunks, ISO base media boxes. They read, never repair; a broken file raises BrokenFile."""
from __future__ import annotations


class BrokenFile(Exception):
    """The bytes do not follow the format they claim (truncated, or corrupt); str() says how."""
