"""The collector's MQTT ingest end to end (docs/mqtt.md): a real Mosquitto broker, the real
collector started with --mqtt-broker, and a device played by the Python Paho MQTT 5 client
publishing batches encoded by mqtt_wire.py (a second implementation of the payload, written
from the document). boto3 reads the stream back: each answer's sequence numbers are the ones
GetRecords returns, and a resend after the collector was killed with SIGKILL is answered with
the same bytes without storing the records twice.

Needs python3-paho-mqtt (Debian 12: 1.6.1, MQTT 5 capable); skipped without it.
Run by hand:  python3 -m unittest -v test_mqtt   (from tests/integration)
"""

from __future__ import annotations

import os
import queue
import re
import sys
import time
import unittest
import uuid

try:
    import paho.mqtt.client as paho
except ImportError:  # a non-Debian interpreter (pyenv, venv) next to Debian's package
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import paho.mqtt.client as paho
    except ImportError:
        paho = None
if paho is not None:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

import mqtt_wire
from harness import (Collector, Mosquitto, ServerError, boto3_client, collector_only,
                     unique_name, wait_for_status)

ANSWER_TIMEOUT_S = 15.0


def metric(text: str, name: str, labels: str = "") -> int:
    pattern = rf"^{re.escape(name)}" + (rf"\{{{re.escape(labels)}\}}" if labels else "") + r" (\d+)$"
    m = re.search(pattern, text, re.M)
    return int(m.group(1)) if m else 0


class Device:
    """One agent's MQTT side: MQTT 5, subscribed to its own ack topic before publishing."""

    def __init__(self, broker_port: int, device: str) -> None:
        self.device = device
        self.ack_topic = f"tributary/v1/{device}/ack"
        self.answers: queue.Queue = queue.Queue()
        self.client = paho.Client(client_id=device, protocol=paho.MQTTv5)
        self.client.on_message = lambda c, u, msg: self.answers.put(
            (bytes(getattr(msg.properties, "CorrelationData", b"")), msg.payload))
        self.client.connect("127.0.0.1", broker_port, keepalive=30)
        self.client.loop_start()
        result, mid = self.client.subscribe(self.ack_topic, qos=1)
        assert result == paho.MQTT_ERR_SUCCESS
        time.sleep(0.3)  # let the SUBACK arrive before the first publish

    def publish(self, stream: str, payload: bytes, correlation: bytes,
                response_topic: str | None = None, topic: str | None = None) -> None:
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = response_topic if response_topic is not None else self.ack_topic
        if correlation:
            props.CorrelationData = correlation
        props.MessageExpiryInterval = 30
        info = self.client.publish(topic or f"tributary/v1/{self.device}/put/{stream}", payload,
                                   qos=1, properties=props)
        info.wait_for_publish(timeout=5)

    def answer(self, correlation: bytes, timeout: float = ANSWER_TIMEOUT_S) -> bytes | None:
        """The payload of the next answer carrying `correlation`; None after `timeout`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                corr, payload = self.answers.get(timeout=left)
            except queue.Empty:
                return None
            if corr == correlation:
                return payload
        return None

    def request(self, stream: str, payload: bytes, **kw) -> bytes | None:
        correlation = uuid.uuid4().bytes
        self.publish(stream, payload, correlation, **kw)
        return self.answer(correlation)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def records_with_sequence_numbers(endpoint: str, stream: str) -> set[tuple[str, str, bytes]]:
    """(shard id, sequence number, data) of every record, through boto3's GetRecords."""
    client = boto3_client(endpoint)
    out = set()
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            resp = client.get_records(ShardIterator=it, Limit=10000)
            out.update((shard["ShardId"], r["SequenceNumber"], r["Data"]) for r in resp["Records"])
            if not resp["Records"]:
                break
            it = resp.get("NextShardIterator")
    return out


@unittest.skipIf(paho is None, "python3-paho-mqtt is not installed")
@collector_only("MQTT ingest is a collector transport")
class MqttIngestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.broker = Mosquitto()
        try:
            cls.broker.start()
        except BaseException:
            cls.broker.cleanup()
            raise
        cls.addClassCleanup(cls.broker.cleanup)
        cls.collector = Collector("--mqtt-broker", cls.broker.uri,
                                  "--mqtt-client-id", "collector-it", "--mqtt-workers", "2")
        cls.collector.start()
        cls.addClassCleanup(cls.collector.cleanup)
        cls.wait_connected()
        cls.device = Device(cls.broker.port, "sensor-1")
        cls.addClassCleanup(cls.device.close)
        cls.producer = os.urandom(16)

    @classmethod
    def wait_connected(cls, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if metric(cls.collector.metrics(), "tributary_mqtt_connected") == 1:
                return
            time.sleep(0.1)
        raise ServerError("collector did not connect to the broker")

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            self.collector.print_tail(40)
            self.broker.print_tail(20)
        return out

    def create_stream(self, shards: int = 2) -> str:
        client = boto3_client(self.collector.endpoint)
        name = unique_name("mqtt")
        client.create_stream(StreamName=name, ShardCount=shards)
        wait_for_status(client, name)
        return name

    def batch(self, sequence: int, n: int, tag: str, flow: str = "app") -> bytes:
        return mqtt_wire.encode_request(
            self.producer, flow, sequence,
            [mqtt_wire.Record(f"pk-{i}", f"{tag}-{i}".encode(), timestamp_ms=1715238000123)
             for i in range(n)])

    def test_answer_sequence_numbers_are_those_get_records_returns(self) -> None:
        stream = self.create_stream()
        raw = self.device.request(stream, self.batch(1, 20, "seq", flow=stream))
        self.assertIsNotNone(raw, "no answer")
        answer = mqtt_wire.decode_answer(raw)
        self.assertIsNone(answer.error_type, answer.message)
        self.assertEqual(len(answer.records), 20)
        self.assertTrue(all(r.ok for r in answer.records))
        answered = {(r.shard_id, r.sequence_number, f"seq-{i}".encode())
                    for i, r in enumerate(answer.records)}
        self.assertEqual(records_with_sequence_numbers(self.collector.endpoint, stream), answered)

    def test_resend_after_kill9_is_replayed_not_stored_twice(self) -> None:
        stream = self.create_stream()
        payload = self.batch(7, 5, "k9", flow=stream)
        first = self.device.request(stream, payload)
        self.assertIsNotNone(first, "no answer")
        self.collector.kill9()
        # The resend is published while no collector is connected: the broker keeps it for the
        # collector's persistent session and delivers it after the restart.
        correlation = uuid.uuid4().bytes
        self.device.publish(stream, payload, correlation)
        self.collector.start()
        self.wait_connected()
        again = self.device.answer(correlation)
        self.assertIsNotNone(again, "no answer to the resend")
        self.assertEqual(again, first)
        stored = records_with_sequence_numbers(self.collector.endpoint, stream)
        self.assertEqual(len(stored), 5)
        m = self.collector.metrics()
        self.assertGreaterEqual(
            metric(m, "tributary_mqtt_batches_total", 'outcome="replayed"'), 1)

    def test_unknown_stream_is_a_retryable_resource_not_found(self) -> None:
        raw = self.device.request("no-such-stream", self.batch(1, 1, "x", flow="nf"))
        answer = mqtt_wire.decode_answer(raw)
        self.assertEqual(answer.error_type, "ResourceNotFoundException")
        self.assertTrue(answer.retryable)
        self.assertEqual(answer.message,
                         "Stream no-such-stream under account 000000000000 not found.")

    def test_stale_number_is_refused_not_retryable(self) -> None:
        stream = self.create_stream(shards=1)
        self.assertIsNone(mqtt_wire.decode_answer(
            self.device.request(stream, self.batch(10, 1, "a", flow=stream))).error_type)
        answer = mqtt_wire.decode_answer(
            self.device.request(stream, self.batch(9, 1, "b", flow=stream)))
        self.assertEqual(answer.error_type, "InvalidArgumentException")
        self.assertFalse(answer.retryable)
        self.assertEqual(len(records_with_sequence_numbers(self.collector.endpoint, stream)), 1)

    def test_garbage_and_unknown_versions_get_validation_errors(self) -> None:
        stream = self.create_stream(shards=1)
        v2 = mqtt_wire.encode_request(self.producer, "v2", 1, [mqtt_wire.Record("k", b"d")],
                                      version=2)
        # A cut payload fails its CRC-32 first: retryable, as a batch damaged in transit (§9).
        cases = [(b"", False), (b"\x00garbage", False), (v2, False),
                 (self.batch(1, 1, "v", flow="v")[:-9], True)]
        for payload, retryable in cases:
            with self.subTest(payload=payload[:12]):
                answer = mqtt_wire.decode_answer(self.device.request(stream, payload))
                self.assertEqual(answer.error_type, "ValidationException")
                self.assertEqual(answer.retryable, retryable)
        self.assertEqual(records_with_sequence_numbers(self.collector.endpoint, stream), set())
        # The ingest is still serving.
        self.assertIsNone(mqtt_wire.decode_answer(
            self.device.request(stream, self.batch(1, 1, "after", flow=stream))).error_type)

    def test_foreign_response_topic_is_dropped_and_counted(self) -> None:
        stream = self.create_stream(shards=1)
        before = metric(self.collector.metrics(), "tributary_mqtt_dropped_total",
                        'reason="response_topic"')
        spy = Device(self.broker.port, "sensor-2")
        self.addCleanup(spy.close)
        correlation = uuid.uuid4().bytes
        self.device.publish(stream, self.batch(1, 1, "spy", flow=stream), correlation,
                            response_topic=spy.ack_topic)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and metric(
                self.collector.metrics(), "tributary_mqtt_dropped_total",
                'reason="response_topic"') == before:
            time.sleep(0.1)
        self.assertEqual(metric(self.collector.metrics(), "tributary_mqtt_dropped_total",
                                'reason="response_topic"'), before + 1)
        self.assertIsNone(spy.answer(correlation, timeout=1))
        self.assertEqual(records_with_sequence_numbers(self.collector.endpoint, stream), set())


if __name__ == "__main__":
    unittest.main()
