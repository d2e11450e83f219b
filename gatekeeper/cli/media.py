"""`gatekeeper sanitize`: strip metadata from photos and videos on the command line."""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from gatekeeper.cli.common import CommandError, emit, json_option
from gatekeeper.media import Refused, sanitize_file

EXIT_REFUSED = 2
MAX_WORKERS = 4


@click.command()
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the clean files (created if missing).")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
def sanitize(out_dir: Path, files: tuple[Path, ...], as_json: bool) -> None:
    """Write a clean copy of each FILE into DIR; exit 2 if any was refused."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {out_dir}: {exc.strerror}") from None
    used: set[str] = set()
    stems = [_free_stem(path.stem or "file", used) for path in files]
    # Decoding and encoding release the GIL: files are cleaned side by side, answered in input order.
    with ThreadPoolExecutor(max_workers=max(1, min(len(files), os.cpu_count() or 1, MAX_WORKERS))) as pool:
        rows = list(pool.map(lambda job: _one(*job, out_dir), zip(files, stems)))
    emit(rows, as_json, lambda data: "\n".join(_line(r) for r in data))
    if any(r["status"] == "refused" for r in rows):
        sys.exit(EXIT_REFUSED)


def _one(path: Path, stem: str, out_dir: Path) -> dict:
    try:
        result = sanitize_file(path, out_dir, stem=stem)
    except Refused as exc:
        return {"file": str(path), "status": "refused", "reason": exc.reason}
    return {"file": str(path), "status": "kept", "output": str(result.path), "kind": result.kind.value,
            "removed": list(result.removed)}


def _free_stem(stem: str, used: set[str]) -> str:
    """The input's stem, or stem-2, stem-3... when an earlier input in this run took it; marks it taken."""
    stem = stem.lstrip(".") or "file"
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate)
    return candidate


def _line(row: dict) -> str:
    if row["status"] == "refused":
        return f"refused {row['file']}: {row['reason']}"
    removed = "; ".join(row["removed"]) or "nothing to remove"
    return f"kept    {row['file']} -> {row['output']} (removed: {removed})"
