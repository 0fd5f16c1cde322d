"""The AWS CLI against the collector: Debian's CLI v2 (/usr/bin/aws) for the full walk, and the
CLI v1 (`python3 -m awscli`, or an `aws` on PATH that reports aws-cli/1.) for a subset.

Run by hand:  python3 -m unittest -v test_awscli   (from tests/integration)
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from harness import ACCOUNT, REGION, ServerTestCase, start_target, unique_name

AWS_V2 = Path(os.environ.get("TRIB_AWS_V2", "/usr/bin/aws"))
CLI_TIMEOUT_S = 60


def _v1_command() -> list[str] | None:
    candidates = [[sys.executable, "-m", "awscli"]]
    on_path = shutil.which("aws")
    if on_path and Path(on_path).resolve() != AWS_V2.resolve():
        candidates.append([on_path])
    for cmd in candidates:
        try:
            out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if (out.stdout + out.stderr).startswith("aws-cli/1."):
            return cmd
    return None


AWS_V1 = _v1_command()


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else None


class _CliTestCase(ServerTestCase):
    cli: list[str] = []
    extra_args: list[str] = []

    @classmethod
    def setUpClass(cls) -> None:
        cls.home = tempfile.mkdtemp(prefix="trib-it-awscli-")
        cls.addClassCleanup(shutil.rmtree, cls.home, True)
        cls.start_server(start_target("--throughput-limits=off"))

    def run_cli(self, *args: str, ok: bool = True) -> CliResult:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "HOME": self.home, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.path.join(self.home, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.home, "credentials"),
            "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard",
        })
        cmd = [*self.cli, "--endpoint-url", self.server.endpoint, "--output", "json",
               *self.extra_args, "kinesis", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL)
        result = CliResult(proc)
        if ok:
            self.assertEqual(result.rc, 0, f"{' '.join(args)} failed:\n{result.stderr}")
        return result

    def wait_active(self, name: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            summary = self.run_cli("describe-stream-summary", "--stream-name",
                                   name).json["StreamDescriptionSummary"]
            if summary["StreamStatus"] == "ACTIVE" or time.monotonic() > deadline:
                self.assertEqual(summary["StreamStatus"], "ACTIVE")
                return summary
            time.sleep(0.2)

    def create(self, shards: int = 1) -> str:
        name = unique_name("cli")
        self.run_cli("create-stream", "--stream-name", name, "--shard-count", str(shards))
        self.run_cli("wait", "stream-exists", "--stream-name", name)
        return name

    def read_all(self, name: str, shard: str = "shardId-000000000000") -> list[dict]:
        it = self.run_cli("get-shard-iterator", "--stream-name", name, "--shard-id", shard,
                          "--shard-iterator-type", "TRIM_HORIZON").json["ShardIterator"]
        out = self.run_cli("get-records", "--shard-iterator", it).json
        self.assertIn("NextShardIterator", out)
        self.assertIn("MillisBehindLatest", out)
        return out["Records"]


@unittest.skipUnless(AWS_V2.is_file(), f"AWS CLI v2 not installed at {AWS_V2}")
class AwsCliV2Test(_CliTestCase):
    cli = [str(AWS_V2)]
    extra_args = ["--cli-binary-format", "raw-in-base64-out", "--no-cli-pager"]

    def test_stream_lifecycle(self):
        name = self.create(2)
        summary = self.wait_active(name)
        self.assertEqual(summary["StreamName"], name)
        self.assertEqual(summary["OpenShardCount"], 2)
        self.assertEqual(summary["StreamARN"],
                         f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}")
        self.assertIn(name, self.run_cli("list-streams").json["StreamNames"])
        self.run_cli("add-tags-to-stream", "--stream-name", name, "--tags", "team=data,env=it")
        tags = self.run_cli("list-tags-for-stream", "--stream-name", name).json["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags),
                         [("env", "it"), ("team", "data")])
        self.run_cli("delete-stream", "--stream-name", name)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            gone = self.run_cli("describe-stream-summary", "--stream-name", name, ok=False)
            if gone.rc != 0:
                break
            time.sleep(0.2)
        self.assertNotEqual(gone.rc, 0)
        self.assertIn("ResourceNotFoundException", gone.stderr)
        self.assertNotIn(name, self.run_cli("list-streams").json["StreamNames"])

    def test_put_and_get_records(self):
        name = self.create(1)
        one = self.run_cli("put-record", "--stream-name", name, "--partition-key", "k",
                           "--data", "hello from cli v2").json
        self.assertEqual(one["ShardId"], "shardId-000000000000")
        binary = bytes(range(256))
        blob = Path(self.home) / "blob.bin"
        blob.write_bytes(binary)
        two = self.run_cli("put-record", "--stream-name", name, "--partition-key", "k",
                           "--data", f"fileb://{blob}").json
        self.assertGreater(int(two["SequenceNumber"]), int(one["SequenceNumber"]))
        batch = self.run_cli("put-records", "--stream-name", name, "--records", json.dumps([
            {"PartitionKey": "a", "Data": "batch-0"},
            {"PartitionKey": "b", "Data": "batch-1"}])).json
        self.assertEqual(batch["FailedRecordCount"], 0)
        self.assertEqual(len(batch["Records"]), 2)
        records = self.read_all(name)
        self.assertEqual([base64.b64decode(r["Data"]) for r in records],
                         [b"hello from cli v2", binary, b"batch-0", b"batch-1"])
        self.assertEqual(records[0]["SequenceNumber"], one["SequenceNumber"])
        self.assertEqual([r["PartitionKey"] for r in records], ["k", "k", "a", "b"])

    def test_list_shards_and_split_shard(self):
        name = self.create(1)
        shards = self.run_cli("list-shards", "--stream-name", name).json["Shards"]
        self.assertEqual([s["ShardId"] for s in shards], ["shardId-000000000000"])
        self.run_cli("split-shard", "--stream-name", name, "--shard-to-split",
                     "shardId-000000000000", "--new-starting-hash-key", str(2**127))
        self.wait_active(name)
        shards = self.run_cli("list-shards", "--stream-name", name).json["Shards"]
        self.assertEqual([s["ShardId"] for s in shards],
                         [f"shardId-{i:012d}" for i in range(3)])
        self.assertIn("EndingSequenceNumber", shards[0]["SequenceNumberRange"])
        self.assertEqual({s.get("ParentShardId") for s in shards[1:]}, {"shardId-000000000000"})

    def test_error_reports_aws_code_and_message(self):
        name = unique_name("missing")
        res = self.run_cli("describe-stream-summary", "--stream-name", name, ok=False)
        self.assertEqual(res.rc, 254, res.stderr)
        self.assertIn("(ResourceNotFoundException)", res.stderr)
        self.assertIn(f"Stream {name} under account {ACCOUNT} not found.", res.stderr)


@unittest.skipUnless(AWS_V1, "AWS CLI v1 not installed (python3 -m awscli / aws on PATH)")
class AwsCliV1Test(_CliTestCase):
    cli = AWS_V1 or []

    def test_put_and_get_records(self):
        name = self.create(1)
        self.assertEqual(self.wait_active(name)["OpenShardCount"], 1)
        put = self.run_cli("put-record", "--stream-name", name, "--partition-key", "k",
                           "--data", "hello from cli v1").json
        records = self.read_all(name)
        self.assertEqual([base64.b64decode(r["Data"]) for r in records], [b"hello from cli v1"])
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        self.run_cli("delete-stream", "--stream-name", name)

    def test_error_reports_aws_code_and_message(self):
        name = unique_name("missing")
        res = self.run_cli("describe-stream-summary", "--stream-name", name, ok=False)
        self.assertEqual(res.rc, 255, res.stderr)
        self.assertIn("(ResourceNotFoundException)", res.stderr)
        self.assertIn(f"Stream {name} under account {ACCOUNT} not found.", res.stderr)


if __name__ == "__main__":
    unittest.main()
