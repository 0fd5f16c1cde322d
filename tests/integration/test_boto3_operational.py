"""boto3 against the collector for what only the collector has: throughput limits, retention
trimming, durability across SIGTERM and kill -9, iterator and token expiry, SigV4 verification,
CREATING/UPDATING/DELETING transitions and the /health and /metrics endpoints.

Run by hand:  python3 -m unittest -v test_boto3_operational   (from tests/integration)
Every class is skipped with TRIB_TARGET=kinesalite.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import unittest
from pathlib import Path

from harness import (ACCOUNT, boto3_client, collector_only, http_get, raw_call, raw_request,
                     sigv4_headers, stream_arn, unique_name, wait_for_deletion, wait_for_status)
from kinesis_case import MAX_HASH, NO_LIMITS, KinesisTestCase, not_found, seq


@collector_only("kinesalite has no /health or /metrics")
class HttpEndpointsTest(KinesisTestCase):
    SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')

    def samples(self) -> dict[str, float]:
        out = {}
        for line in self.server.metrics().splitlines():
            if not line or line.startswith("#"):
                continue
            m = self.SAMPLE.match(line)
            self.assertIsNotNone(m, f"not Prometheus text: {line!r}")
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        return out

    def test_health(self):
        status, body = http_get(self.server.port, "/health")
        self.assertEqual((status, body.strip()), (200, b"ok"))

    def test_metrics_are_prometheus_text_and_move(self):
        before = self.samples()
        self.assertTrue(before)
        self.assertTrue(all(k.startswith("tributary_") for k in before), list(before)[:5])
        name = self.new_stream(1)
        for i in range(3):
            self.put(name, "k", b"m")
        after = self.samples()
        moved = [k for k in after if after[k] != before.get(k, 0.0)]
        self.assertTrue(moved, "no metric changed after CreateStream and 3 PutRecord calls")


@collector_only("kinesalite enforces no throughput limits")
class ThrottlingTest(KinesisTestCase):
    flags = ("--throughput-limits=on",)

    def test_put_records_over_1000_per_second_into_one_shard(self):
        name = self.new_stream(2)
        batch = [{"PartitionKey": "hot", "Data": b"x", "ExplicitHashKey": "0"}] * 500
        start, accepted, failed = time.monotonic(), 0, []
        for _ in range(4):
            out = self.k.put_records(StreamName=name, Records=batch)
            bad = [r for r in out["Records"] if "ErrorCode" in r]
            self.assertEqual(out["FailedRecordCount"], len(bad))
            self.assertEqual(len(out["Records"]), 500)
            accepted += 500 - len(bad)
            failed += bad
        elapsed = time.monotonic() - start
        if elapsed > 1.0 and not failed:
            self.skipTest(f"2000 records took {elapsed:.2f} s: too slow to exceed 1000/s")
        self.assertTrue(failed, "no record was throttled")
        for r in failed:
            self.assertEqual(r["ErrorCode"], "ProvisionedThroughputExceededException")
            self.assertEqual(r["ErrorMessage"],
                             f"Rate exceeded for shard shardId-000000000000 in stream {name} "
                             f"under account {ACCOUNT}.")
            self.assertNotIn("SequenceNumber", r)
            self.assertNotIn("ShardId", r)
        # One Python client cannot send 1000 PutRecord calls a second, so a second client keeps
        # the shard saturated with PutRecords while PutRecord calls go in.
        with self.assertAwsError("ProvisionedThroughputExceededException",
                                 contains=("Rate exceeded",)):
            self.put_while_saturated(name, batch)
        # Another shard of the same stream is unaffected, and the hot one recovers.
        self.put(name, "cold", ExplicitHashKey=str(MAX_HASH))
        time.sleep(1.5)
        self.put(name, "hot", ExplicitHashKey="0")

    def put_while_saturated(self, name: str, batch: list[dict], seconds: float = 2.0) -> None:
        stop = threading.Event()
        flooder = boto3_client(self.server.endpoint)

        def flood():
            deadline = time.monotonic() + seconds + 1
            while not stop.is_set() and time.monotonic() < deadline:
                flooder.put_records(StreamName=name, Records=batch)

        thread = threading.Thread(target=flood, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                self.put(name, "hot", ExplicitHashKey="0")
        finally:
            stop.set()
            thread.join(timeout=30)

    def until_throttled(self, call, times: int, least_rate: float, unit: str) -> None:
        """Make `times` calls; the first ProvisionedThroughputExceededException ends the test.
        If none came and the calls ran slower than `least_rate` per second (a loaded machine),
        the limit was never exceeded and the test is skipped, not failed."""
        start = time.monotonic()
        with self.assertAwsError("ProvisionedThroughputExceededException"):
            for _ in range(times):
                call()
            rate = times / (time.monotonic() - start)
            if rate < least_rate:
                self.skipTest(f"only {rate:.1f} {unit}/s sent: too slow to exceed the limit")

    def test_more_than_one_mebibyte_per_second_into_one_shard(self):
        name = self.new_stream(1)
        chunk = b"b" * (512 * 1024)
        self.until_throttled(lambda: self.put(name, "big", chunk), 8, 4.0, "512 KiB records")

    def test_more_than_five_get_records_per_second(self):
        name = self.new_stream(1)
        self.put(name, "k")
        state = {"it": self.iterator(name)}

        def get():
            state["it"] = self.k.get_records(ShardIterator=state["it"])["NextShardIterator"]

        self.until_throttled(get, 20, 10.0, "GetRecords calls")
        time.sleep(1.5)
        self.assertEqual(len(self.k.get_records(ShardIterator=self.iterator(name))["Records"]), 1)


@collector_only("needs --retention-hour-ms and --trim-interval-ms")
class RetentionTrimTest(KinesisTestCase):
    flags = (NO_LIMITS, "--retention-hour-ms", "100", "--trim-interval-ms", "200")

    def test_records_older_than_retention_are_trimmed(self):
        name = self.new_stream(1)  # 24 "hours" = 2.4 s here
        old = [self.put(name, "k", f"old{i}".encode()) for i in range(5)]
        self.assertEqual(len(self.read(self.iterator(name), count=5)[0]), 5)
        time.sleep(1.6)
        young = self.put(name, "k", b"young")
        deadline = time.monotonic() + 6.0
        while time.monotonic() < deadline:
            left = self.read(self.iterator(name))[0]
            if [r["Data"] for r in left] == [b"young"]:
                break
            time.sleep(0.2)
        self.assertEqual([r["SequenceNumber"] for r in left], [young["SequenceNumber"]],
                         "old records were not trimmed (or the young one was)")
        time.sleep(2.6)
        self.assertEqual(self.read(self.iterator(name))[0], [])


    def test_retention_changes_apply_to_stored_records(self):
        name = self.new_stream(1)
        kept = self.put(name, "k", b"kept")
        self.k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        wait_for_status(self.k, name)
        time.sleep(3.0)  # older than 24 "hours" (2.4 s), younger than 48 (4.8 s)
        self.assertEqual([r["SequenceNumber"] for r in self.read(self.iterator(name))[0]],
                         [kept["SequenceNumber"]], "trimmed by the old retention period")
        self.k.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
        wait_for_status(self.k, name)
        deadline = time.monotonic() + 3.0
        while self.read(self.iterator(name))[0] and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.read(self.iterator(name))[0], [],
                         "not trimmed after the retention period was decreased")


    def test_expired_closed_shards_are_no_longer_listed(self):
        # "This action does not list expired shards" (ListShards): a parent closed more than a
        # retention period ago is gone from ListShards and DescribeStream.
        name = self.new_stream(1)
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        wait_for_status(self.k, name)
        self.assertEqual(len(self.shards(name)), 3)
        deadline = time.monotonic() + 8.0
        while len(self.shards(name)) == 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual([s["ShardId"] for s in self.shards(name)],
                         ["shardId-000000000001", "shardId-000000000002"])
        described = self.k.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
        self.assertEqual([s["ShardId"] for s in described],
                         ["shardId-000000000001", "shardId-000000000002"])


def _faketime_library() -> str | None:
    for candidate in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                      "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                      "/usr/lib/faketime/libfaketime.so.1"):
        if Path(candidate).is_file():
            return candidate
    return None


@collector_only("kinesalite keeps data in memory only")
class DurabilityTest(KinesisTestCase):

    def put_batch(self, name: str, n: int) -> list[dict]:
        return [self.put(name, f"k{i % 3}", f"rec-{i}".encode()) for i in range(n)]

    def assert_intact(self, name: str, sent: list[dict]) -> None:
        got = []
        for shard in self.shards(name):
            got += self.read(self.iterator(name, shard["ShardId"]), count=None)[0]
        self.assertEqual(sorted(r["SequenceNumber"] for r in got),
                         sorted(p["SequenceNumber"] for p in sent))
        self.assertEqual(sorted(r["Data"] for r in got),
                         sorted(f"rec-{i}".encode() for i in range(len(sent))))

    def test_records_survive_clean_restart(self):
        name = self.new_stream(2)
        sent = self.put_batch(name, 30)
        self.k.add_tags_to_stream(StreamName=name, Tags={"kept": "yes"})
        self.k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        wait_for_status(self.k, name)
        self.k.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="kept")
        self.assertEqual(self.server.stop(), 0, "SIGTERM should exit cleanly")
        self.server.restart()
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["OpenShardCount"], 2)
        self.assertEqual(summary["RetentionPeriodHours"], 48)
        self.assertEqual(summary["ConsumerCount"], 1)
        self.assert_intact(name, sent)
        self.assertEqual(self.k.list_tags_for_stream(StreamName=name)["Tags"],
                         [{"Key": "kept", "Value": "yes"}])
        more = self.put(name, "k0", b"after-restart")
        self.assertGreater(seq(more), max(seq(p) for p in sent if p["ShardId"] == more["ShardId"]))

    def test_acknowledged_records_survive_kill9(self):
        name = self.new_stream(1)
        sent = self.put_batch(name, 20)
        out = self.k.put_records(StreamName=name, Records=[
            {"PartitionKey": "b", "Data": f"rec-{20 + i}".encode()} for i in range(10)])
        self.assertEqual(out["FailedRecordCount"], 0)
        sent += out["Records"]
        self.server.kill9()
        self.server.restart()
        wait_for_status(self.k, name)
        self.assert_intact(name, sent)

    def test_resharded_stream_survives_restart(self):
        name = self.new_stream(1)
        sent = self.put_batch(name, 6)
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        wait_for_status(self.k, name)
        self.server.kill9()
        self.server.restart()
        shards = self.shards(name)
        self.assertEqual(len(shards), 3)
        records, responses = self.read(self.iterator(name), to_end=True)
        self.assertEqual([r["SequenceNumber"] for r in records],
                         [p["SequenceNumber"] for p in sent])
        self.assertEqual(len(responses[-1]["ChildShards"]), 2)

    def test_iterators_and_next_tokens_expire_after_five_minutes(self):
        # The collector is restarted under libfaketime 301 s in the future; what it handed out
        # before must then be refused as expired.
        lib = _faketime_library()
        if lib is None:
            self.skipTest("libfaketime not installed (Debian package `faketime`)")
        name = self.new_stream(2)
        self.put(name, "k")
        it = self.iterator(name)
        token = self.k.list_shards(StreamName=name, MaxResults=1)["NextToken"]
        self.server.stop()
        env = {"LD_PRELOAD": lib, "FAKETIME": "+301s", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
               "FAKETIME_DONT_RESET": "1"}
        self.server.extra_env = env
        try:
            self.server.restart()
            with self.assertAwsError("ExpiredIteratorException",
                                     startswith="Iterator expired. The iterator was created at "
                                                "time ",
                                     contains=("which is further in the future than the tolerated "
                                               "delay of 300000 milliseconds.",)):
                self.k.get_records(ShardIterator=it)
            with self.assertAwsError("ExpiredNextTokenException"):
                self.k.list_shards(NextToken=token)
        finally:
            self.server.extra_env = {}
            self.server.restart()


@collector_only("kinesalite does not verify signatures")
class SigV4Test(KinesisTestCase):
    KEY, SECRET = "AKIDTRIBUTARYTEST", "tributary-secret-key"
    flags = (NO_LIMITS, "--access-key-id", KEY, "--secret-access-key", SECRET)

    def test_right_keys_pass(self):
        good = boto3_client(self.server.endpoint, key=self.KEY, secret=self.SECRET)
        name = unique_name("signed")
        good.create_stream(StreamName=name, ShardCount=1)
        wait_for_status(good, name)
        good.put_record(StreamName=name, PartitionKey="k", Data=b"signed")
        resp = raw_call(self.server.endpoint, "ListStreams", {}, key=self.KEY, secret=self.SECRET)
        self.assertEqual(resp.status, 200, resp)

    def test_wrong_secret(self):
        bad = boto3_client(self.server.endpoint, key=self.KEY, secret="not-the-secret")
        with self.assertAwsError("InvalidSignatureException",
                                 startswith="The request signature we calculated does not match "
                                            "the signature you provided."):
            bad.list_streams()

    def test_unknown_access_key(self):
        bad = boto3_client(self.server.endpoint, key="AKIDUNKNOWN", secret=self.SECRET)
        with self.assertAwsError("UnrecognizedClientException",
                                 "The security token included in the request is invalid."):
            bad.list_streams()

    def test_expired_signature(self):
        stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        url = self.server.endpoint + "/"
        headers = sigv4_headers(url, "Kinesis_20131202.ListStreams", b"{}", key=self.KEY,
                                secret=self.SECRET, now=stale)
        resp = raw_request(self.server.endpoint, "POST", "/", headers, b"{}")
        self.assertRawError(resp, "InvalidSignatureException", startswith="Signature expired: ",
                            status=None)
        self.assertIn(resp.status, (400, 403))

    def test_missing_or_incomplete_authorization(self):
        resp = raw_call(self.server.endpoint, "ListStreams", {}, sign=False)
        self.assertRawError(resp, "MissingAuthenticationTokenException",
                            "Missing Authentication Token", status=None)
        self.assertIn(resp.status, (400, 403))
        resp = raw_call(self.server.endpoint, "ListStreams", {}, sign=False,
                        extra_headers={"Authorization": "AWS4-HMAC-SHA256 Signature=abc",
                                       "X-Amz-Date": "20260101T000000Z"})
        self.assertRawError(resp, "IncompleteSignatureException", status=None)
        self.assertIn(resp.status, (400, 403))


@collector_only("needs --status-delay-ms")
class StatusTransitionsTest(KinesisTestCase):
    flags = (NO_LIMITS, "--status-delay-ms", "800")

    def test_creating_updating_deleting(self):
        name = unique_name("slow")
        self.k.create_stream(StreamName=name, ShardCount=1)
        desc = self.k.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual((desc["StreamStatus"], desc["Shards"]), ("CREATING", []))
        with self.assertAwsError("ResourceNotFoundException", not_found(name)):
            self.put(name, "k")
        wait_for_status(self.k, name, timeout=10)
        first = self.put(name, "k", b"1")
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        self.assertEqual(self.k.describe_stream_summary(StreamName=name)
                         ["StreamDescriptionSummary"]["StreamStatus"], "UPDATING")
        with self.assertAwsError(
                "ResourceInUseException",
                f"Stream {name} under account {ACCOUNT} not ACTIVE, instead in state UPDATING"):
            self.k.merge_shards(StreamName=name, ShardToMerge="shardId-000000000000",
                                AdjacentShardToMerge="shardId-000000000001")
        self.put(name, "k", b"during-update")  # reads and writes go on while UPDATING
        self.assertEqual(self.read(self.iterator(name), count=1)[0][0]["SequenceNumber"],
                         first["SequenceNumber"])
        wait_for_status(self.k, name, timeout=10)
        self.k.delete_stream(StreamName=name)
        status = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(status["StreamStatus"], "DELETING")
        wait_for_deletion(self.k, name, timeout=10)




if __name__ == "__main__":
    unittest.main()
