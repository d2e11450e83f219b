"""Seconds from a recorded withdrawal to the published copies being gone, through the real job queue;
and, with --scale N, what one consent change and one idle minute cost with N live publications.

Runs the embedded default (SQLite, the SQLite job queue consumed in this process like `gatekeeper
serve` does, a local channel folder), or an S3 channel on a moto server with --s3. Needs the face
corpus (../shared/faces or $GATEKEEPER_FACES_DIR), except --scale, which writes synthetic rows.

    python bench/takedown.py [--rounds 5] [--items 3] [--s3]
    python bench/takedown.py --scale 10000 [--rounds 3] [--database-url postgresql+psycopg://...]

--scale compares the minute job before the outbox (a full re-decision of every live publication and
queued item each minute, and a person sweep per consent change) with after (the minute drains the
outbox, and the full sweep runs once every SAFETY_SWEEP_MINUTES).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consent_db import migrate, records  # noqa: E402
from consent_db.audit import CLI, Actor  # noqa: E402
from consent_db.models import Decision, GivenBy, Method, PersonKind, Publication, PublicationState  # noqa: E402
from consent_db.verdicts import FACE_MATCHING  # noqa: E402
from gatekeeper import create_app  # noqa: E402
from gatekeeper.database import session_factory, transaction  # noqa: E402
from gatekeeper.doctor import ensure_folders  # noqa: E402
from gatekeeper.faces.enrolment import enroll_person  # noqa: E402
from gatekeeper.gate import actions  # noqa: E402
from gatekeeper.app.consent import record_consent  # noqa: E402
from gatekeeper.app.context import gate_context, unit_of_work  # noqa: E402
from gatekeeper.app.principal import operator  # noqa: E402
from gatekeeper.gate.ingest import receive_upload  # noqa: E402
from gatekeeper.instance import create_secrets  # noqa: E402
from gatekeeper.jobs.runner import jobs_of, start_embedded_consumer  # noqa: E402

FACES = Path(os.environ.get("GATEKEEPER_FACES_DIR", ROOT.parent / "shared" / "faces"))
# Photos where the enrolled child is the only face, so each is ready for approval.
PHOTOS = ["identities/barack_obama/fr_obama3.jpg", "identities/barack_obama/fr_obama2.jpg",
          "identities/barack_obama/fr_obama_small.jpg"]


def wait_for(predicate, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("gave up waiting")
        time.sleep(0.02)
    return time.perf_counter() - start


def live_count(ctx, channel_id: int) -> int:
    from sqlalchemy import func, select

    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(Publication).where(
            Publication.channel_id == channel_id, Publication.state == PublicationState.PUBLISHED))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--s3", action="store_true", help="publish to an S3 bucket on a local moto server")
    parser.add_argument("--scale", type=int, default=0, metavar="N",
                        help="cost of a consent change and of an idle minute with N live publications")
    parser.add_argument("--database-url", default=None, help="with --scale: a database other than SQLite")
    args = parser.parse_args()
    if args.scale:
        from takedown_scale import scale

        scale(args.scale, rounds=args.rounds, database_url=args.database_url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        create_secrets(instance)
        app = create_app({"SESSION_COOKIE_SECURE": False}, instance_dir=str(instance))
        migrate.upgrade(session_factory(app).kw["bind"])
        ensure_folders(app)
        target, objects = None, lambda: len(list((instance / "channels" / "website").glob("*")))
        if args.s3:
            target, objects = s3_channel()
        with transaction(app) as session:
            setting = records.ensure_default_setting(session, name="Bench").id
            channel = records.add_channel(session, setting_id=setting, slug="website", name="Website",
                                          description="bench", target=target, actor=CLI).id
            child = records.add_person(session, records.PersonFields(PersonKind.CHILD, "Barack", "Bench",
                                                                     born=date(2021, 1, 1)),
                                       setting_id=setting, actor=CLI).id
            guardian = records.add_guardian(session, setting_id=setting, name="G", email="g@example.org",
                                            child_id=child, actor=CLI).id

        def decide(purpose, decision):
            record_consent(unit_of_work(app), operator(setting), person_id=child, purpose=purpose,
                           decision=decision, given_by=GivenBy.GUARDIAN, guardian_id=guardian,
                           method=Method.PORTAL)

        ctx = gate_context(app)
        decide(FACE_MATCHING, Decision.GRANT)
        decide(channel, Decision.GRANT)
        enroll_person(ctx, child, [FACES / "identities/barack_obama/fr_obama.jpg"], setting_id=setting, actor=CLI)
        consumer = start_embedded_consumer(jobs_of(app), workers=2)
        items = [receive_upload(ctx, FACES / p, uploader=Actor(label="bench"), setting_id=setting).public_id
                 for p in PHOTOS[: args.items]]
        wait_for(lambda: all(actions_ready(ctx, i) for i in items))
        timings = []
        try:
            for _ in range(args.rounds):
                decide(channel, Decision.GRANT)
                wait_for(lambda: all(actions_ready(ctx, i) for i in items))
                for item in items:
                    actions.approve(ctx, item, [channel], actor=CLI, setting_id=setting)
                wait_for(lambda: live_count(ctx, channel) == len(items) and objects() == len(items))
                start = time.perf_counter()
                decide(channel, Decision.REFUSE)
                wait_for(lambda: objects() == 0)
                timings.append(time.perf_counter() - start)
        finally:
            consumer.stop(graceful=True)
        where = "S3 (moto on loopback)" if args.s3 else "local channel folder"
        print(f"takedown of {len(items)} published item(s) after a withdrawal, {where}, embedded SQLite job queue")
        print(f"rounds {len(timings)}: median {statistics.median(timings):.3f} s, "
              f"max {max(timings):.3f} s, min {min(timings):.3f} s")


def actions_ready(ctx, public_id: str) -> bool:
    from gatekeeper.gate.items import ANY_SETTING
    from gatekeeper.gate.queue import item_detail

    return item_detail(ctx, public_id, setting_id=ANY_SETTING).state == "ready"


def s3_channel():
    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench"),
                        ("AWS_DEFAULT_REGION", "eu-west-2")):
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2")
    client.create_bucket(Bucket="bench-channel", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    client.put_bucket_versioning(Bucket="bench-channel", VersioningConfiguration={"Status": "Enabled"})
    target = {"kind": "s3", "bucket": "bench-channel", "region": "eu-west-2", "endpoint_url": endpoint}

    def objects() -> int:
        versions = client.list_object_versions(Bucket="bench-channel")
        return len(versions.get("Versions", [])) + len(versions.get("DeleteMarkers", []))

    return target, objects


if __name__ == "__main__":
    main()
