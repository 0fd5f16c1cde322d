"""Shared base of the boto3 suites: one server per TestCase class, stream and read helpers."""

from __future__ import annotations

import functools
import hashlib
import time
import unittest

from harness import (ACCOUNT, ServerTestCase, boto3_client, start_target, unique_name,
                     wait_for_status)

MAX_HASH = 2**128 - 1
NO_LIMITS = "--throughput-limits=off"
MIB = 1024 * 1024


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def not_found(name: str) -> str:
    return f"Stream {name} under account {ACCOUNT} not found."


def seq(record_or_response: dict) -> int:
    return int(record_or_response["SequenceNumber"])


def hash_range(shard: dict) -> tuple[str, str]:
    return shard["HashKeyRange"]["StartingHashKey"], shard["HashKeyRange"]["EndingHashKey"]


@functools.lru_cache(maxsize=None)
def _kinesis_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("kinesis")


def model_has(operation: str, member: str | None = None) -> bool:
    """Whether the installed botocore model has `operation`, and `member` ("Input.Name" or
    "Output.Path.To.Name") in its input or output shape."""
    model = _kinesis_model()
    if operation not in model.operation_names:
        return False
    if member is None:
        return True
    side, *path = member.split(".")
    op = model.operation_model(operation)
    shape = op.input_shape if side == "Input" else op.output_shape
    for name in path:
        if shape is None or name not in getattr(shape, "members", {}):
            return False
        shape = shape.members[name]
    return True


def needs_model(operation: str, member: str | None = None):
    """Skip when the installed botocore is older than the API feature a test uses (Debian's
    python3-boto3 1.26, say, predates StreamARN and the 2023-2025 operations)."""
    import botocore

    what = operation + (f" {member}" if member else "")
    return unittest.skipUnless(model_has(operation, member),
                               f"botocore {botocore.__version__} predates {what}")


class KinesisTestCase(ServerTestCase):
    """One server per class; `flags` are the collector flags the class needs."""

    flags: tuple[str, ...] = (NO_LIMITS,)

    @classmethod
    def setUpClass(cls) -> None:
        cls.start_server(start_target(*cls.flags))
        cls.k = boto3_client(cls.server.endpoint)

    def new_stream(self, shards: int | None = 1, prefix: str = "s", **kwargs) -> str:
        name = unique_name(prefix)
        if shards is not None:
            kwargs["ShardCount"] = shards
        self.k.create_stream(StreamName=name, **kwargs)
        wait_for_status(self.k, name)
        return name

    def shards(self, name: str) -> list[dict]:
        return self.k.list_shards(StreamName=name)["Shards"]

    def iterator(self, name: str, shard_id: str = "shardId-000000000000",
                 kind: str = "TRIM_HORIZON", **kwargs) -> str:
        return self.k.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                         ShardIteratorType=kind, **kwargs)["ShardIterator"]

    def read(self, iterator: str, *, count: int | None = None, to_end: bool = False,
             timeout: float = 8.0, **kwargs) -> tuple[list[dict], list[dict]]:
        """Follow NextShardIterator. Stops at the end of a closed shard; when `to_end` is false
        also once `count` records arrived or, without `count`, at the first caught-up empty read.
        Returns (records, responses)."""
        records, responses = [], []
        deadline = time.monotonic() + timeout
        while True:
            resp = self.k.get_records(ShardIterator=iterator, **kwargs)
            responses.append(resp)
            records.extend(resp["Records"])
            nxt = resp.get("NextShardIterator")
            if nxt is None:
                return records, responses
            if not to_end:
                if count is not None and len(records) >= count:
                    return records, responses
                if count is None and not resp["Records"] and resp["MillisBehindLatest"] == 0:
                    return records, responses
            if time.monotonic() > deadline:
                raise AssertionError(f"read did not finish in {timeout} s: {len(records)} records")
            if not resp["Records"]:
                time.sleep(0.1)
            iterator = nxt

    def put(self, name: str, key: str, data: bytes = b"x", **kwargs) -> dict:
        return self.k.put_record(StreamName=name, PartitionKey=key, Data=data, **kwargs)
