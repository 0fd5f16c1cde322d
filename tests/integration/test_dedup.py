"""Producer deduplication over HTTP (docs/agent-delivery.md): PutRecords with the three
X-Tributary-* headers, sent as tributary-agent sends them (SigV4-signed without them), against
a real collector. A resend is answered with the original bytes and stores nothing — boto3 reads
the stream back to count the copies — also when the collector was killed with SIGKILL between
the send and the resend. Stale numbers and malformed headers get the documented errors.

Run by hand:  python3 -m unittest -v test_dedup   (from tests/integration)
"""

from __future__ import annotations

import base64
import re
import unittest

import cbor_lite
from harness import (Collector, ServerTestCase, boto3_client, collector_only, raw_call,
                     read_stream, unique_name, wait_for_status)

PRODUCER = "00112233445566778899aabbccddeeff"
FLOW = "kinesis%3Aapp%3A%2Fvar%2Flog%2Fapp%2F%2A.log"
FLOW_DECODED = "kinesis:app:/var/log/app/*.log"
CBOR = "application/x-amz-cbor-1.1"


def batch_headers(sequence, producer: str = PRODUCER, flow: str = FLOW) -> dict[str, str]:
    return {"X-Tributary-Producer-Id": producer, "X-Tributary-Flow": flow,
            "X-Tributary-Batch-Sequence": str(sequence)}


def records(stream: str, n: int, tag: str) -> dict:
    return {"StreamName": stream,
            "Records": [{"Data": base64.b64encode(f"{tag}-{i}".encode()).decode(),
                         "PartitionKey": f"pk-{i}"} for i in range(n)]}


def create_stream(endpoint: str, shards: int = 2) -> str:
    client = boto3_client(endpoint)
    name = unique_name("dedup")
    client.create_stream(StreamName=name, ShardCount=shards)
    wait_for_status(client, name)
    return name


def metric(text: str, name: str, labels: str) -> int:
    m = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\d+)$", text, re.M)
    return int(m.group(1)) if m else 0


@collector_only("X-Tributary-* headers are a collector protocol")
class DedupOverHttpTest(ServerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.start_server(Collector())

    def put(self, body, sequence, **kw):
        return raw_call(self.server.endpoint, "PutRecords", body,
                        extra_headers=batch_headers(sequence, **kw))

    def test_resend_is_answered_with_the_same_bytes_and_stored_once(self) -> None:
        stream = create_stream(self.server.endpoint)
        body = records(stream, 10, "once")
        first = self.put(body, 42, flow=FLOW + "-a")
        self.assertEqual(first.status, 200, first)
        self.assertEqual(first.json["FailedRecordCount"], 0)
        again = self.put(body, 42, flow=FLOW + "-a")
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.body, first.body)
        got = read_stream(self.server.endpoint, stream, expect=10, timeout=5)
        self.assertEqual(sorted(d for _, d in got), sorted(f"once-{i}".encode() for i in range(10)))

    def test_cbor_resend_is_answered_with_the_same_bytes(self) -> None:
        stream = create_stream(self.server.endpoint)
        body = cbor_lite.dumps({"StreamName": stream, "Records": [
            {"Data": f"cbor-{i}".encode(), "PartitionKey": f"k{i}"} for i in range(4)]})
        headers = batch_headers(7, flow=FLOW + "-cbor")
        first = raw_call(self.server.endpoint, "PutRecords", body, content_type=CBOR,
                         extra_headers=headers)
        again = raw_call(self.server.endpoint, "PutRecords", body, content_type=CBOR,
                         extra_headers=headers)
        self.assertEqual(first.status, 200, first)
        self.assertEqual(again.body, first.body)
        self.assertEqual(len(cbor_lite.loads(first.body)["Records"]), 4)
        self.assertEqual(len(read_stream(self.server.endpoint, stream, expect=4, timeout=5)), 4)

    def test_a_higher_number_stores_and_a_lower_one_is_refused(self) -> None:
        stream = create_stream(self.server.endpoint)
        flow = FLOW + "-b"
        self.assertEqual(self.put(records(stream, 2, "n5"), 5, flow=flow).status, 200)
        self.assertEqual(self.put(records(stream, 2, "n6"), 6, flow=flow).status, 200)
        stale = self.put(records(stream, 2, "n4"), 4, flow=flow)
        self.assertRawError(stale, "InvalidArgumentException",
                            f"batch sequence 4 of flow {FLOW_DECODED}-b is below the last "
                            "accepted 6")
        reused = self.put(records(stream, 3, "n6"), 6, flow=flow)
        self.assertRawError(reused, "InvalidArgumentException",
                            f"batch sequence 6 of flow {FLOW_DECODED}-b was already used for a "
                            "different batch")
        self.assertEqual(len(read_stream(self.server.endpoint, stream, expect=4, timeout=5)), 4)

    def test_malformed_or_partial_headers_are_validation_errors(self) -> None:
        stream = create_stream(self.server.endpoint, shards=1)
        body = records(stream, 1, "bad")
        cases = [
            ({"X-Tributary-Producer-Id": PRODUCER, "X-Tributary-Flow": FLOW},
             "X-Tributary-Batch-Sequence"),
            (batch_headers(1, producer=PRODUCER.upper()), "X-Tributary-Producer-Id"),
            (batch_headers(1, flow="kinesis:app"), "X-Tributary-Flow"),
            (batch_headers("007"), "X-Tributary-Batch-Sequence"),
            (batch_headers("18446744073709551616"), "X-Tributary-Batch-Sequence"),
        ]
        for headers, named in cases:
            with self.subTest(named=named, headers=headers):
                resp = raw_call(self.server.endpoint, "PutRecords", body, extra_headers=headers)
                self.assertRawError(resp, "ValidationException", contains=(named,))
        self.assertEqual(read_stream(self.server.endpoint, stream), [])

    def test_replays_and_refusals_are_counted_in_metrics(self) -> None:
        stream = create_stream(self.server.endpoint, shards=1)
        flow = FLOW + "-m"
        before = self.server.metrics()
        self.assertEqual(self.put(records(stream, 1, "m"), 1, flow=flow).status, 200)
        self.assertEqual(self.put(records(stream, 1, "m"), 1, flow=flow).status, 200)
        self.assertEqual(self.put(records(stream, 1, "m"), 0, flow=flow).status, 400)
        after = self.server.metrics()
        name = "tributary_store_producer_batches_total"
        for outcome in ("stored", "replayed", "rejected_stale"):
            label = f'outcome="{outcome}"'
            self.assertEqual(metric(after, name, label) - metric(before, name, label), 1, outcome)


@collector_only("X-Tributary-* headers are a collector protocol")
class DedupAcrossCrashTest(ServerTestCase):
    """The agent's case the headers exist for: its batch was stored, the answer was lost (here:
    the collector died by SIGKILL right after answering), and it resends after the restart."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.start_server(Collector("--sync=on"))

    def test_resend_after_kill9_is_replayed_not_stored_twice(self) -> None:
        stream = create_stream(self.server.endpoint)
        body = records(stream, 25, "crash")
        first = raw_call(self.server.endpoint, "PutRecords", body,
                         extra_headers=batch_headers(1000))
        self.assertEqual(first.status, 200, first)
        self.server.kill9()
        self.server.start()
        again = raw_call(self.server.endpoint, "PutRecords", body,
                         extra_headers=batch_headers(1000))
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.body, first.body)
        got = read_stream(self.server.endpoint, stream, expect=25, timeout=5)
        self.assertEqual(sorted(d for _, d in got),
                         sorted(f"crash-{i}".encode() for i in range(25)))
        # The next number is new and stored.
        nxt = raw_call(self.server.endpoint, "PutRecords", records(stream, 5, "next"),
                       extra_headers=batch_headers(1001))
        self.assertEqual(nxt.status, 200, nxt)
        self.assertEqual(len(read_stream(self.server.endpoint, stream, expect=30, timeout=5)), 30)


if __name__ == "__main__":
    unittest.main()
