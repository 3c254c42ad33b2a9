"""An S3-compatible server on 127.0.0.1 for the tests: moto's server mode, in-process."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KEY_ID = "AKIATESTTOOLKIT00001"
SECRET = "toolkit-test-secret-key-that-must-never-be-written"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (closed again before returning)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3Server:
    """The running server: its endpoint, and a boto3 client to make buckets with."""

    endpoint: str

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET, region_name="us-east-1",
        )

    def bucket(self, prefix: str = "bkt") -> str:
        """A new, empty bucket's name (`prefix-` and 12 hex digits)."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def user(self, name: str, actions: list[str], bucket: str) -> dict[str, str]:
        """An IAM user allowed exactly `actions` on bucket and its objects: AWS_* variables."""
        import json

        import boto3

        iam = boto3.client(
            "iam", endpoint_url=self.endpoint, aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET, region_name="us-east-1",
        )
        iam.create_user(UserName=name)
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": actions,
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        }]}
        iam.put_user_policy(UserName=name, PolicyName="dvc", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    @contextlib.contextmanager
    def enforcing_iam(self) -> Iterator[None]:
        """moto checks signatures and IAM policies of every request inside (its reset-auth API)."""
        import requests

        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
        try:
            yield
        finally:
            requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()

    def keys(self, bucket: str) -> list[str]:
        """Every object key in bucket."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


def aws_env(env: dict[str, str], tmp: Path, *, credentials: bool = True) -> dict[str, str]:
    """env with the test credentials (or none at all) and no AWS config files or EC2 metadata."""
    out = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    out.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
        AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
        AWS_EC2_METADATA_DISABLED="true",  # never probe 169.254.169.254 from a test
        AWS_DEFAULT_REGION="us-east-1",
    )
    if credentials:
        out.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET)
    return out


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free port of 127.0.0.1 for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
