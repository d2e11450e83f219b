"""`channels add --kind s3 --set …`: an S3 channel is set up from the command line; a bad target adds nothing."""
from __future__ import annotations

import pytest

from tests.integration.gatekeeper.cli.instance_data import Operator


@pytest.fixture
def op(tmp_path) -> Operator:
    operator = Operator(tmp_path / "instance")
    operator("init")
    return operator


def test_an_s3_channel_keeps_its_target(op):
    op("channels", "add", "website", "--name", "Website", "--description", "Our website", "--kind", "s3",
       "--set", "bucket=nursery-website", "--set", "region=eu-west-2")
    [row] = op.json("channels", "list")
    assert row["target"] == {"kind": "s3", "bucket": "nursery-website", "region": "eu-west-2"}


@pytest.mark.parametrize("settings, message", [
    (["--kind", "ftp"], "unknown channel target kind"),
    (["--kind", "s3"], "needs bucket"),
    (["--kind", "s3", "--set", "bucket=b", "--set", "aws_secret_access_key=k"], "no setting aws_secret_access_key"),
])
def test_a_bad_target_is_refused_and_no_channel_is_added(op, settings, message):
    result = op("channels", "add", "website", "--name", "Website", "--description", "Our website", *settings, code=1)
    assert message in result.output
    assert op.json("channels", "list") == []
