"""moto's S3 server that makes the buckets named in S3_BUCKETS each time it starts (it keeps them in memory)."""
from __future__ import annotations

import os
import signal
import sys

import boto3
from moto.server import ThreadedMotoServer

PORT = 9000
STOP = {signal.SIGTERM, signal.SIGINT}


def main() -> int:
    # Blocked before the server's threads start, so they inherit the mask and only sigwait sees a stop.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP)
    server = ThreadedMotoServer(ip_address="0.0.0.0", port=PORT, verbose=False)
    server.start()
    # Without a restart of `createbuckets` after the store's, a restarted stack would find no bucket.
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{PORT}", region_name="us-east-1",
                      aws_access_key_id="moto", aws_secret_access_key="moto")
    for bucket in os.environ.get("S3_BUCKETS", "").split():
        s3.create_bucket(Bucket=bucket)
        print(f"bucket {bucket} ready", flush=True)
    print(f"moto S3 server on port {PORT}", flush=True)
    signal.sigwait(STOP)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
