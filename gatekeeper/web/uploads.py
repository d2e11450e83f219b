"""Where uploaded bytes wait while the request is read: inside the instance's private folder."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO

from flask import Flask, Request, current_app


class PrivateUploadRequest(Request):
    """Spools file uploads to an unnamed file in the quarantine work folder, never the system temp.

    The bytes still carry their metadata until sanitised, so they must not sit where other users
    or other programs' clean-ups can see them.
    """

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        folder = Path(current_app.config["QUARANTINE_DIR"]) / ".work"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return tempfile.TemporaryFile(dir=folder)


def init_app(app: Flask) -> None:
    app.request_class = PrivateUploadRequest
