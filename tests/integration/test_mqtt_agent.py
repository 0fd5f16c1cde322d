"""Fault tests of the MQTT path end to end: tributary-agent → Mosquitto → tributary-collector.

A writer appends 200-byte lines to the device's log at a steady rate and rotates it by rename;
while it runs, one fault (or all of them) strikes:

* the collector is killed with SIGKILL and restarted on the same data;
* Mosquitto is restarted (with its persistence, as a production broker runs);
* the agent is killed with SIGKILL and restarted on the same spool;
* the broker is stopped for 30 s.

Afterwards every line is looked up in the stream with boto3 and the counts are printed: written,
stored, duplicates, missing, out of order. The guarantee under test is docs/mqtt.md's: every
line stored exactly once, in file order (the stream has one shard, so file order is stream
order). MqttFleetOverMutualTls runs the same path over examples/mosquitto's broker (mutual TLS,
a certificate per device, ACLs), and checks that a device cannot send as another. Everything
listens on 127.0.0.1; every process is stopped and every directory removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Callable

from harness import (Agent, Collector, Mosquitto, ServerTestCase, boto3_client, read_stream,
                     unique_name, wait_for_status)
from test_agent import Tally, line

RATE = 1500           # lines per second, in bursts of 100
ROTATE_EVERY = 3000   # lines per file before a rename


class Writer(threading.Thread):
    """Appends lines at RATE to app.log, renaming it to app.log.<n> every ROTATE_EVERY lines."""

    def __init__(self, directory: Path) -> None:
        super().__init__(daemon=True)
        self.dir = directory
        self.written: list[str] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        log = self.dir / "app.log"
        n, tag_ix = 0, 0
        while not self.stop_event.is_set():
            tag = f"f{tag_ix:02d}"
            with open(log, "a") as f:
                for i in range(n, n + 100):
                    f.write(line(tag, i) + "\n")
            self.written.extend(line(tag, i) for i in range(n, n + 100))
            n += 100
            if n >= ROTATE_EVERY:
                os.rename(log, self.dir / f"app.log.{tag_ix}")
                n, tag_ix = 0, tag_ix + 1
            time.sleep(100 / RATE)

    def finish(self) -> list[str]:
        self.stop_event.set()
        self.join()
        return self.written


@unittest.skipUnless(shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists(),
                     "mosquitto is not installed")
class MqttFaults(ServerTestCase):

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="trib-mqtt-device-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.broker = Mosquitto(persistence=True)
        self.addCleanup(self.broker.cleanup)
        self.broker.start()
        self.collector = Collector("--throughput-limits=off", "--mqtt-broker", self.broker.uri)
        self.addCleanup(self.collector.cleanup)
        self.collector.start()
        self.stream = unique_name("mqtt")
        client = boto3_client(self.collector.endpoint)
        client.create_stream(StreamName=self.stream, ShardCount=1)
        wait_for_status(client, self.stream)
        self.agent = Agent({
            "deviceId": "device-1",
            "mqtt.broker": self.broker.uri,
            # Short, so that batches lost with a killed collector are resent within the test.
            "mqtt.answerTimeoutMillis": 3000,
            "flows": [{"filePattern": str(self.dir / "app.log*"), "kinesisStream": self.stream,
                       "sink": "mqtt", "initialPosition": "START_OF_FILE",
                       "maxBufferAgeMillis": 200, "retryMaxBackoffMillis": 2000}],
        })
        self.addCleanup(self.agent.cleanup)
        self.agent.start()

    def run_with(self, name: str, fault: Callable[[], None], seconds: float = 6.0) -> Tally:
        writer = Writer(self.dir)
        writer.start()
        time.sleep(1.5)
        fault()
        time.sleep(max(0.0, seconds - 1.5))
        written = writer.finish()
        got = read_stream(self.collector.endpoint, self.stream, timeout=120, expect=len(written))
        tally = Tally(written, [data for _, data in got])
        print(f"{tally.report(name)}; stored {len(got)}")
        self.assertEqual(tally.missing[:5], [], tally.report(name))
        self.assertEqual(tally.duplicates, 0, tally.report(name))
        self.assertEqual(tally.out_of_order, 0, tally.report(name))
        self.assertEqual(tally.unexpected[:5], [], tally.report(name))
        return tally

    def test_steady_stream(self):
        self.run_with("mqtt steady", lambda: None)

    def test_collector_killed_and_restarted(self):
        def fault() -> None:
            self.collector.kill9()
            time.sleep(1.0)
            self.collector.start()
        self.run_with("mqtt collector kill -9", fault)

    def test_mosquitto_restarted(self):
        self.run_with("mqtt broker restart", lambda: self.broker.restart())

    def test_agent_killed_and_restarted(self):
        def fault() -> None:
            self.agent.kill9()
            time.sleep(0.5)
            self.agent.start()
        self.run_with("mqtt agent kill -9", fault)

    def test_broker_down_for_30_seconds(self):
        def fault() -> None:
            self.broker.stop()
            time.sleep(30)
            self.broker.start()
        self.run_with("mqtt broker down 30 s", fault, seconds=34)

    def test_every_fault_in_one_run(self):
        def fault() -> None:
            self.collector.kill9()
            self.collector.start()
            time.sleep(1.0)
            self.broker.restart()
            time.sleep(1.0)
            self.agent.kill9()
            self.agent.start()
            time.sleep(1.0)
            self.broker.stop()
            time.sleep(5)
            self.broker.start()
        self.run_with("mqtt all faults", fault, seconds=14)


class MqttFleetOverMutualTls(ServerTestCase):
    """The production shape of examples/mosquitto: the broker with the example's config, ACL and
    make-certs.sh certificates; the collector and the agent each with their own client
    certificate (mutual TLS), verifying the broker's certificate and name."""

    def setUp(self) -> None:
        from test_mosquitto_example import Broker, Identity, make_certs
        tmp = Path(tempfile.mkdtemp(prefix="trib-mqtt-mtls-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        certs = tmp / "pki"
        done = make_certs(certs, "dev-a", "dev-b")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.broker = Broker(certs)
        self.addCleanup(self.broker.cleanup)
        self.broker.start()
        uri = f"ssl://127.0.0.1:{self.broker.port}"
        me = Identity.collector(certs)
        self.collector = Collector("--throughput-limits=off", "--mqtt-broker", uri,
                                   "--mqtt-ca-file", str(me.ca), "--mqtt-cert-file", str(me.cert),
                                   "--mqtt-key-file", str(me.key))
        self.addCleanup(self.collector.cleanup)
        self.collector.start()
        self.stream = unique_name("mtls")
        client = boto3_client(self.collector.endpoint)
        client.create_stream(StreamName=self.stream, ShardCount=1)
        wait_for_status(client, self.stream)
        self.dir = tmp / "device"
        self.dir.mkdir()
        self.uri, self.certs, self.identity = uri, certs, Identity

    def agent(self, device: str, certificate_of: str) -> Agent:
        who = self.identity.device(self.certs, certificate_of)
        a = Agent({"deviceId": device, "mqtt.broker": self.uri, "mqtt.caFile": str(who.ca),
                   "mqtt.certFile": str(who.cert), "mqtt.keyFile": str(who.key),
                   "mqtt.answerTimeoutMillis": 3000,
                   "flows": [{"filePattern": str(self.dir / "app.log*"),
                              "kinesisStream": self.stream, "sink": "mqtt",
                              "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 200}]})
        self.addCleanup(a.cleanup)
        return a

    def test_devices_ship_over_mutual_tls_exactly_once(self):
        lines = [line("tls", i) for i in range(3000)]
        (self.dir / "app.log").write_text("".join(ln + "\n" for ln in lines))
        agent = self.agent("dev-a", "dev-a")
        agent.start()
        got = read_stream(self.collector.endpoint, self.stream, timeout=60, expect=len(lines))
        tally = Tally(lines, [data for _, data in got])
        print(tally.report("mqtt mutual TLS"))
        self.assertEqual((tally.missing[:5], tally.duplicates, tally.out_of_order), ([], 0, 0))

    def test_a_device_cannot_send_as_another(self):
        # dev-b's certificate claiming to be dev-a: the broker's ACL (username = certificate CN)
        # refuses the publish to tributary/v1/dev-a/put/..., so nothing is stored, and the
        # agent keeps the records and says why.
        (self.dir / "app.log").write_text("".join(line("spoof", i) + "\n" for i in range(10)))
        agent = self.agent("dev-a", "dev-b")
        agent.start()
        deadline = time.monotonic() + 15
        flow = {}
        while time.monotonic() < deadline:
            flow = agent.status()["flows"][0]
            if flow["last_error"]:
                break
            time.sleep(0.2)
        self.assertNotEqual(flow["last_error"], "", flow)
        self.assertEqual(flow["records_sent"], 0, flow)
        self.assertEqual(flow["spool_records"], 10, flow)
        self.assertEqual(read_stream(self.collector.endpoint, self.stream, timeout=1), [])


if __name__ == "__main__":
    unittest.main()
