"""Run inside the app container by docker/build-and-up.sh: queue one upload on the instance's Redis
queue, as the upload page does, and wait until the worker container has analysed it."""
from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from consent_db.models import ItemState, MediaItem
from gatekeeper import create_app
from gatekeeper.app.context import gate_context
from gatekeeper.app.principal import operator
from gatekeeper.database import session_factory
from gatekeeper.gate.ingest import receive_upload

WAITING = {ItemState.RECEIVED, ItemState.ANALYSING}


def main() -> int:
    app = create_app()
    with tempfile.TemporaryDirectory() as scratch:
        picture = Path(scratch) / "upload.jpg"
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 140, 200)).save(buffer, "JPEG")
        picture.write_bytes(buffer.getvalue())
        with app.app_context():
            item = receive_upload(gate_context(app), picture, uploader=operator(1).actor, setting_id=1)
    print(f"uploaded {item.public_id}; waiting for the worker", flush=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with session_factory(app)() as session:
            row = session.query(MediaItem).filter_by(public_id=item.public_id).one()
            if row.state not in WAITING:
                print(f"analysed by the worker: {row.public_id} is {row.state.value} "
                      f"({row.analysis_engine or 'no engine recorded'})")
                return 0
        time.sleep(2)
    print("the worker did not analyse the upload within 300 s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
