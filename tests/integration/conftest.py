"""Integration fixtures: a real S3 server (moto) on loopback, reached by boto3 over HTTP."""
from __future__ import annotations

import socket
import uuid

import pytest


@pytest.fixture(scope="session")
def s3_server():
    """One moto S3 server for the session, on 127.0.0.1 and a port the OS picked."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch, tmp_path):
    """Fake credentials from the environment, and no stray config from the machine's ~/.aws."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3_endpoint(s3_server, aws_credentials) -> str:
    return s3_server


@pytest.fixture
def s3_client(s3_endpoint):
    """A plain boto3 client for setting up buckets and inspecting what our code left there."""
    import boto3

    return boto3.session.Session().client("s3", endpoint_url=s3_endpoint, region_name="eu-west-2")


def _new_bucket(client, versioned: bool) -> str:
    name = f"gk-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def versioned_bucket(s3_client) -> str:
    """A fresh bucket with versioning enabled, so overwrites and deletes leave history behind."""
    return _new_bucket(s3_client, versioned=True)


@pytest.fixture
def plain_bucket(s3_client) -> str:
    """A fresh bucket without versioning."""
    return _new_bucket(s3_client, versioned=False)


@pytest.fixture
def closed_endpoint() -> str:
    """An http URL on loopback where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
