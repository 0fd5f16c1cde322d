"""Wire-level suites that no SDK here exercises for us:

* CBOR requests built byte for byte the way the AWS SDK for Java (and so the KCL) builds them:
  Jackson's indefinite-length maps and arrays, byte strings for blobs, and timestamps as CBOR
  tag 1 over integer epoch milliseconds. The Java SDK itself cannot be installed here (no Maven
  repository is reachable), so this encoder stands in for it and says so.
* The HTTPS listener, with a certificate the test makes, judged by boto3's own TLS checks.
* /metrics after real traffic.
"""

from __future__ import annotations

import http.client
import ssl
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import cbor_lite
from harness import (ACCOUNT, Collector, ServerTestCase, boto3_client, collector_only,
                     free_port, unique_name)

CBOR = "application/x-amz-cbor-1.1"


def java_cbor(value) -> bytes:
    """CBOR as the Java SDK's Jackson generator writes it: indefinite-length maps, byte
    strings for blobs, timestamps (Timestamp) as tag 1 over epoch milliseconds."""

    def shape(v):
        if isinstance(v, Timestamp):
            return cbor_lite.Tag(1, v.millis)
        if isinstance(v, dict):
            return cbor_lite.Indefinite({k: shape(x) for k, x in v.items()})
        if isinstance(v, list):
            return [shape(x) for x in v]
        return v

    return cbor_lite.dumps(shape(value))


class Timestamp:
    def __init__(self, millis: int) -> None:
        self.millis = millis


def cbor_call(port: int, op: str, body: dict | bytes):
    payload = body if isinstance(body, bytes) else java_cbor(body)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", payload, {
            "Content-Type": CBOR, "X-Amz-Target": "Kinesis_20131202." + op,
            "User-Agent": "aws-sdk-java/2.25.0 (tributary wire test)"})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, resp.getheader("Content-Type"), (cbor_lite.loads(raw) if raw else None)
    finally:
        conn.close()


@collector_only("kinesalite 3.3.3 answers CBOR, but with 2020-era shapes")
class JavaSdkCborTest(ServerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.start_server(Collector())

    def test_encoder_matches_a_captured_java_v2_put_record(self):
        # Captured from the AWS SDK for Java v2 (reference §1.3): indefinite map, byte string.
        body = java_cbor({"StreamName": "test", "Data": b"hello, world!", "PartitionKey": "k"})
        self.assertTrue(body.startswith(b"\xbfjStreamNamedtestdDataMhello, world!"))

    def test_put_and_get_round_trip_in_cbor(self):
        port, name = self.server.port, unique_name("cbor")
        status, ctype, out = cbor_call(port, "CreateStream", {"StreamName": name, "ShardCount": 1})
        self.assertEqual((status, out), (200, None))
        self.assertEqual(ctype, CBOR)
        before = Timestamp(int(time.time() * 1000) - 1000)

        status, _, put = cbor_call(port, "PutRecord", {
            "StreamName": name, "Data": b"\x00\x01binary\xff", "PartitionKey": "pk"})
        self.assertEqual(status, 200, put)
        self.assertEqual(put["ShardId"], "shardId-000000000000")
        status, _, puts = cbor_call(port, "PutRecords", {"StreamName": name, "Records": [
            {"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(3)]})
        self.assertEqual(status, 200, puts)
        self.assertEqual(puts["FailedRecordCount"], 0)
        self.assertEqual(len(puts["Records"]), 3)

        status, _, it = cbor_call(port, "GetShardIterator", {
            "StreamName": name, "ShardId": "shardId-000000000000",
            "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": before})
        self.assertEqual(status, 200, it)
        status, _, got = cbor_call(port, "GetRecords", {"ShardIterator": it["ShardIterator"]})
        self.assertEqual(status, 200, got)
        records = got["Records"]
        self.assertEqual([r["Data"] for r in records], [b"\x00\x01binary\xff", b"r0", b"r1", b"r2"])
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        arrival = records[0]["ApproximateArrivalTimestamp"]
        # The Java SDK parses CBOR timestamps as integer epoch milliseconds.
        self.assertIsInstance(arrival, int)
        self.assertLess(abs(arrival - time.time() * 1000), 60_000)

        status, _, summary = cbor_call(port, "DescribeStreamSummary", {"StreamName": name})
        created = summary["StreamDescriptionSummary"]["StreamCreationTimestamp"]
        self.assertIsInstance(created, int)
        self.assertLess(abs(created - time.time() * 1000), 60_000)

    def test_errors_come_back_as_cbor_maps(self):
        status, ctype, err = cbor_call(self.server.port, "DescribeStream", {"StreamName": "nope"})
        self.assertEqual((status, ctype), (400, CBOR))
        self.assertEqual(err, {"__type": "ResourceNotFoundException",
                               "message": f"Stream nope under account {ACCOUNT} not found."})

    def test_malformed_cbor_is_a_serialization_exception(self):
        for body in (b"\xbf\x6aStreamN", b"\x1c", b"\xc1\xbf\xff\x00"):
            status, _, err = cbor_call(self.server.port, "ListStreams", body)
            self.assertEqual(status, 400, body)
            self.assertEqual(err["__type"], "SerializationException", body)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@collector_only("TLS listener of the collector")
class TlsListenerTest(ServerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="trib-tls-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.cert, key = make_certificate(Path(cls.tmp.name))
        cls.tls_port = free_port()
        cls.start_server(Collector("--tls-listen", f"127.0.0.1:{cls.tls_port}",
                                   "--tls-cert", str(cls.cert), "--tls-key", str(key)))

    def test_boto3_over_https_with_the_server_certificate(self):
        import boto3
        from botocore.config import Config
        k = boto3.client("kinesis", endpoint_url=f"https://127.0.0.1:{self.tls_port}",
                         region_name="us-east-1", aws_access_key_id="x",
                         aws_secret_access_key="x", verify=str(self.cert),
                         config=Config(retries={"total_max_attempts": 1}))
        name = unique_name("tls")
        k.create_stream(StreamName=name, ShardCount=1)
        put = k.put_record(StreamName=name, PartitionKey="p", Data=b"over tls")
        it = k.get_shard_iterator(StreamName=name, ShardId=put["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual(k.get_records(ShardIterator=it)["Records"][0]["Data"], b"over tls")

    def test_untrusted_certificate_is_refused_by_the_client(self):
        ctx = ssl.create_default_context()  # system CAs only: our self-signed cert is unknown
        conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port, context=ctx, timeout=5)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/health")
        conn.close()

    def test_plain_listener_keeps_working(self):
        k = boto3_client(self.server.endpoint)
        self.assertIn("StreamNames", k.list_streams())


@collector_only("Prometheus metrics of the collector")
class MetricsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.start_server(Collector("--throughput-limits=off"))

    def test_per_shard_counters_follow_traffic(self):
        k = boto3_client(self.server.endpoint)
        name = unique_name("m")
        k.create_stream(StreamName=name, ShardCount=1)
        k.put_records(StreamName=name, Records=[{"PartitionKey": "a", "Data": b"12345"}] * 7)
        it = k.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual(len(k.get_records(ShardIterator=it)["Records"]), 7)
        text = self.server.metrics()
        labels = f'stream="{name}",shard="shardId-000000000000"'
        self.assertIn(f'tributary_store_incoming_records_total{{{labels},'
                      f'aws_metric="IncomingRecords"}} 7', text)
        self.assertIn(f'tributary_store_incoming_bytes_total{{{labels},'
                      f'aws_metric="IncomingBytes"}} 35', text)
        self.assertIn(f'tributary_store_outgoing_records_total{{{labels},'
                      f'aws_metric="OutgoingRecords"}} 7', text)
        self.assertRegex(text, r'tributary_api_requests_total\{operation="PutRecords",'
                               r'outcome="success"\} [1-9]')
        self.assertIn('aws_metric="PutRecords.Latency"', text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
