"""Prints how fast the local quarantine seals and opens a video-sized file, and the memory it needs.

Run from the checkout root: python -m bench.quarantine_throughput [size_mb]
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from gatekeeper.storage.envelope import Keyring
from gatekeeper.storage.local import LocalQuarantine


def main(size_mb: int = 256) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source = folder / "video.mp4"
        with source.open("wb") as out:
            for _ in range(size_mb):
                out.write(os.urandom(1024 * 1024))
        store = LocalQuarantine(folder / "quarantine", Keyring(os.urandom(32)))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        started = time.perf_counter()
        store.put("video", source)
        sealed_s = time.perf_counter() - started

        started = time.perf_counter()
        store.fetch_to("video", folder / "back.mp4")
        opened_s = time.perf_counter() - started

        started = time.perf_counter()
        store.rewrap_item("video", store.keyring, os.urandom(32))
        rewrap_s = time.perf_counter() - started

        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        overhead = (store.folder / "video.sealed").stat().st_size - source.stat().st_size
        print(f"size: {size_mb} MB")
        print(f"seal (put):      {size_mb / sealed_s:8.1f} MB/s  ({sealed_s:.2f} s)")
        print(f"open (fetch_to): {size_mb / opened_s:8.1f} MB/s  ({opened_s:.2f} s)")
        print(f"rewrap one item: {rewrap_s:.2f} s (header only, body copied)")
        print(f"ciphertext overhead: {overhead} bytes")
        print(f"peak RSS growth: {(rss_after - rss_before) / 1024:.1f} MB (file is {size_mb} MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 256)
