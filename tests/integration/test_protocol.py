"""The Kinesis wire protocol below the SDKs, over raw HTTP: the pre-dispatch error ladder,
JSON encoding rules (base64 blobs, epoch-second timestamps, decimal-string big integers) and
the CBOR protocol (`application/x-amz-cbor-1.1`) that the AWS SDK for Java, and so KCL and
most JVM producers, send by default: indefinite-length maps, byte-string blobs and timestamps
as CBOR tag 1 over integer epoch milliseconds.

Run by hand:  python3 -m unittest -v test_protocol   (from tests/integration)
"""

from __future__ import annotations

import base64
import time
import unittest

import cbor_lite as cbor
from harness import (aws_only, raw_call, raw_request, sigv4_headers, unique_name,
                     wait_for_status)
from kinesis_case import KinesisTestCase

JSON = "application/x-amz-json-1.1"
CBOR = "application/x-amz-cbor-1.1"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class WireProtocolTest(KinesisTestCase):

    def test_unknown_operation(self):
        resp = raw_call(self.server.endpoint, "FlyToTheMoon", {})
        self.assertRawError(resp, "UnknownOperationException")

    def test_unknown_service_prefix(self):
        resp = raw_call(self.server.endpoint, "ListStreams", {},
                        target="DynamoDB_20120810.ListStreams")
        self.assertRawError(resp, "UnknownOperationException")

    def test_missing_target_header(self):
        url = self.server.endpoint + "/"
        headers = sigv4_headers(url, "Kinesis_20131202.ListStreams", b"{}")
        del headers["X-Amz-Target"]
        resp = raw_request(self.server.endpoint, "POST", "/", headers, b"{}")
        self.assertRawError(resp, "UnknownOperationException")

    def test_method_other_than_post(self):
        resp = raw_request(self.server.endpoint, "GET", "/", {})
        self.assertEqual(resp.status, 403)
        self.assertIn(b"<AccessDeniedException>", resp.body)

    def test_path_is_ignored(self):
        resp = raw_call(self.server.endpoint, "ListStreams", {}, path="/any/path?x=1")
        self.assertEqual(resp.status, 200, resp)
        self.assertIsInstance(resp.json["StreamNames"], list)

    def test_content_type_parameters_are_ignored(self):
        resp = raw_call(self.server.endpoint, "ListStreams", {},
                        content_type=f"  {JSON} ; charset=utf-8")
        self.assertEqual(resp.status, 200, resp)

    def test_empty_body(self):
        self.assertRawError(raw_call(self.server.endpoint, "ListStreams", b""),
                            "SerializationException")

    def test_malformed_json_body(self):
        resp = raw_call(self.server.endpoint, "ListStreams", b'{"Limit": 1,')
        self.assertRawError(resp, "SerializationException")

    def test_wrong_json_type(self):
        resp = raw_call(self.server.endpoint, "CreateStream",
                        {"StreamName": unique_name("s"), "ShardCount": "three"})
        self.assertRawError(resp, "SerializationException")
        self.assertIn("Message", resp.json, "SerializationException carries a capital Message")

    def test_invalid_base64_data(self):
        name = self.new_stream(1)
        resp = raw_call(self.server.endpoint, "PutRecord",
                        {"StreamName": name, "PartitionKey": "a", "Data": "not base64!"})
        self.assertRawError(resp, "SerializationException")

    def test_missing_required_member(self):
        resp = raw_call(self.server.endpoint, "CreateStream", {"ShardCount": 1})
        self.assertRawError(resp, "ValidationException",
                            "1 validation error detected: Value null at 'streamName' failed to "
                            "satisfy constraint: Member must not be null")

    def test_several_validation_errors_are_counted(self):
        resp = raw_call(self.server.endpoint, "CreateStream", {"StreamName": "x!", "ShardCount": 0})
        self.assertRawError(resp, "ValidationException",
                            startswith="2 validation errors detected: ",
                            contains=("Value 'x!' at 'streamName' failed to satisfy constraint",
                                      "; ", "Value '0' at 'shardCount' failed to satisfy "
                                            "constraint: Member must have value greater than or "
                                            "equal to 1"))

    def test_response_headers(self):
        ok = raw_call(self.server.endpoint, "ListStreams", {})
        bad = raw_call(self.server.endpoint, "DescribeStream", {"StreamName": unique_name("m")})
        self.assertEqual(ok.status, 200)
        for resp in (ok, bad):
            self.assertEqual(resp.headers.get("Content-Type"), JSON)
            self.assertRegex(resp.headers.get("x-amzn-RequestId", ""), UUID)
            self.assertEqual(int(resp.headers.get("Content-Length", -1)), len(resp.body))
        self.assertIsInstance(ok.json["StreamNames"], list)

    def test_operation_without_output_returns_empty_body(self):
        resp = raw_call(self.server.endpoint, "CreateStream",
                        {"StreamName": unique_name("s"), "ShardCount": 1})
        self.assertEqual(resp.status, 200, resp)
        self.assertIn(resp.body.strip(), (b"", b"{}"))

    def test_json_encoding_of_records(self):
        name = self.new_stream(1)
        before = time.time()
        put = raw_call(self.server.endpoint, "PutRecord",
                       {"StreamName": name, "PartitionKey": "a",
                        "Data": base64.b64encode(b"\x00\xffjson").decode()}).json
        it = raw_call(self.server.endpoint, "GetShardIterator",
                      {"StreamName": name, "ShardId": put["ShardId"],
                       "ShardIteratorType": "TRIM_HORIZON"}).json["ShardIterator"]
        out = raw_call(self.server.endpoint, "GetRecords", {"ShardIterator": it}).json
        record = out["Records"][0]
        self.assertEqual(base64.b64decode(record["Data"]), b"\x00\xffjson")
        self.assertIsInstance(record["SequenceNumber"], str)
        stamp = record["ApproximateArrivalTimestamp"]
        self.assertIsInstance(stamp, (int, float), "timestamps are epoch seconds as numbers")
        self.assertLess(abs(stamp - before), 60)
        self.assertIsInstance(out["MillisBehindLatest"], int)
        self.assertNotIn("ChildShards", out)
        summary = raw_call(self.server.endpoint, "DescribeStreamSummary",
                           {"StreamName": name}).json["StreamDescriptionSummary"]
        self.assertLess(abs(summary["StreamCreationTimestamp"] - before), 60)


class CborTest(KinesisTestCase):
    """Requests shaped like the AWS SDK for Java's (Jackson CBOR) and what it expects back."""

    def call(self, op: str, body: dict) -> tuple[int, object]:
        resp = raw_call(self.server.endpoint, op, cbor.dumps(cbor.Indefinite(body)),
                        content_type=CBOR)
        self.assertEqual(resp.headers.get("Content-Type"), CBOR, resp)
        return resp.status, (cbor.loads(resp.body) if resp.body else None)

    def ok(self, op: str, body: dict):
        status, out = self.call(op, body)
        self.assertEqual(status, 200, out)
        return out

    @staticmethod
    def millis(value) -> int:
        """A CBOR timestamp as the Java SDK reads it: an integer of epoch ms, maybe tagged 1."""
        if isinstance(value, cbor.Tag):
            assert value.tag == 1, value
            value = value.value
        assert isinstance(value, int), f"timestamp {value!r} is not integer milliseconds"
        return value

    def test_put_and_describe_in_cbor(self):
        name = unique_name("cbor")
        self.assertIsNone(self.ok("CreateStream", {"StreamName": name, "ShardCount": 1}))
        wait_for_status(self.k, name)
        put = self.ok("PutRecord", {"StreamName": name, "Data": b"\x00\x01cbor",
                                    "PartitionKey": "pk"})
        self.assertEqual(put["ShardId"], "shardId-000000000000")
        self.assertIsInstance(put["SequenceNumber"], str)
        status, err = self.call("DescribeStreamSummary", {"StreamName": f"{name}-missing"})
        self.assertEqual(status, 400)
        self.assertEqual(err["__type"].rsplit("#", 1)[-1], "ResourceNotFoundException")
        self.assertEqual(err["message"],
                         f"Stream {name}-missing under account 000000000000 not found.")

    @aws_only("CBOR blobs come back as a JSON-ified Buffer and timestamps as float seconds")
    def test_get_records_in_cbor(self):
        name = self.new_stream(1)
        before_ms = int(time.time() * 1000)
        self.ok("PutRecord", {"StreamName": name, "Data": bytes(range(256)), "PartitionKey": "p"})
        it = self.ok("GetShardIterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                          "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        out = self.ok("GetRecords", {"ShardIterator": it})
        record = out["Records"][0]
        self.assertEqual(record["Data"], bytes(range(256)), "Data must be a CBOR byte string")
        self.assertLess(abs(self.millis(record["ApproximateArrivalTimestamp"]) - before_ms), 60_000)
        self.assertIsInstance(out["MillisBehindLatest"], int)
        summary = self.ok("DescribeStreamSummary", {"StreamName": name})
        created = self.millis(summary["StreamDescriptionSummary"]["StreamCreationTimestamp"])
        self.assertLess(abs(created - before_ms), 60_000)

    @aws_only("rejects CBOR tag 1 timestamps (SerializationException)")
    def test_at_timestamp_with_tagged_epoch_millis(self):
        name = self.new_stream(1)
        self.ok("PutRecord", {"StreamName": name, "Data": b"old", "PartitionKey": "p"})
        time.sleep(1.1)
        boundary = int(time.time() * 1000)
        time.sleep(1.1)
        self.ok("PutRecord", {"StreamName": name, "Data": b"new", "PartitionKey": "p"})
        it = self.ok("GetShardIterator", {
            "StreamName": name, "ShardId": "shardId-000000000000",
            "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": cbor.Tag(1, boundary)})
        out = self.ok("GetRecords", {"ShardIterator": it["ShardIterator"]})
        self.assertEqual([r["Data"] for r in out["Records"]], [b"new"])

    def test_cbor_error_shape(self):
        status, err = self.call("CreateStream", {"StreamName": "x!", "ShardCount": 1})
        self.assertEqual(status, 400)
        self.assertEqual(err["__type"].rsplit("#", 1)[-1], "ValidationException")
        self.assertTrue(err["message"].startswith("1 validation error detected: Value 'x!'"))


if __name__ == "__main__":
    unittest.main()
