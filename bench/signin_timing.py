"""How long a failed sign-in takes for a known and an unknown email, with the production Argon2 cost.

    /work/main/.venv/bin/python bench/signin_timing.py [--repeat 7]

Each attempt comes from its own address, so the throttle never answers first. Equal medians mean
the answer's timing does not tell whether an email has an account.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consent_db import migrate  # noqa: E402
from gatekeeper import create_app  # noqa: E402
from gatekeeper.database import session_factory  # noqa: E402
from gatekeeper.instance import create_secrets  # noqa: E402
from tests.web_world import build_world, post  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        create_secrets(instance)
        app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://"},
                         instance_dir=str(instance))
        migrate.upgrade(session_factory(app).kw["bind"])
        world = build_world(app)
        timings: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(args.repeat):
            for kind, email in (("known", world.parent_email), ("unknown", f"nobody{n}@nowhere.test")):
                client = app.test_client()
                start = time.perf_counter()
                response = post(app, client, "/signin", {"email": email, "password": "not the password!"},
                                environ_base={"REMOTE_ADDR": f"10.{n}.{len(kind)}.1"})
                timings[kind].append(time.perf_counter() - start)
                assert response.status_code == 401, response.status_code
        for kind, values in timings.items():
            print(f"{kind:8s} median {statistics.median(values):.3f} s  min {min(values):.3f} s  "
                  f"max {max(values):.3f} s  (n={len(values)}, Argon2id t={app.config['ARGON2_TIME_COST']} "
                  f"m={app.config['ARGON2_MEMORY_COST']} KiB)")


if __name__ == "__main__":
    main()
