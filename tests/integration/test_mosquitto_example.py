"""examples/mosquitto as shipped, judged by a real Mosquitto 2.0 and its own clients.

make-certs.sh makes a CA, the broker's, the collector's and per-device certificates in a
temporary directory; /usr/sbin/mosquitto runs the example's mosquitto.conf and acl with only the
file paths and the port rewritten (test_rewrite_changes_only_paths_and_port holds that promise);
mosquitto_pub and mosquitto_sub (MQTT 5, mutual TLS) then check docs/mqtt.md §2.1 and §10:
who may connect, publish and read what. Every negative check has a positive control in the same
test (a marker that does arrive), so "nothing arrived" cannot pass because nothing works.

Standard library only. Needs the Debian packages mosquitto, mosquitto-clients and openssl; the
suite skips itself, saying which is missing, without them.
"""

from __future__ import annotations

import atexit
import os
import pwd
import queue
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mosquitto"
MAKE_CERTS = EXAMPLE / "make-certs.sh"
MOSQUITTO = Path(os.environ.get("TRIB_MOSQUITTO", "/usr/sbin/mosquitto"))
PUB = shutil.which("mosquitto_pub")
SUB = shutil.which("mosquitto_sub")

WAIT_S = 10.0        # bound on every wait for a broker, a SUBACK or a message
QUIET_S = 0.5        # how long a marker may trail the message it follows
COLLECTOR_CN = "tributary-collector"
SHARED_FILTER = "$share/tributary/tributary/v1/+/put/+"

_missing = [name for name, ok in (("mosquitto", MOSQUITTO.is_file()), ("mosquitto_pub", PUB),
                                  ("mosquitto_sub", SUB), ("openssl", shutil.which("openssl")))
            if not ok]
needs_mosquitto = unittest.skipIf(bool(_missing), f"not installed: {', '.join(_missing)}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(MAKE_CERTS), *map(str, args)], capture_output=True, text=True,
                          timeout=60)


def rewrite_config(text: str, etc: Path, db: Path, log: Path, port: int) -> str:
    """The shipped mosquitto.conf with its paths moved under a test root and the TLS listener on
    `port` of 127.0.0.1. Nothing else changes."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            out.append(line)
            continue
        if line == "listener 8883":
            line = f"listener {port} 127.0.0.1"
        line = (line.replace("/etc/mosquitto/tributary/", f"{etc}/")
                    .replace("/var/lib/mosquitto/", f"{db}/")
                    .replace("/var/log/mosquitto/", f"{log}/"))
        out.append(line)
    return "\n".join(out) + "\n"


class Broker:
    """/usr/sbin/mosquitto with the example's config and acl and the certificates of `certs`
    (a make-certs.sh directory), on a free loopback port, in its own temporary directory.

    Kept in this file rather than harness.py on purpose: a Mosquitto class may be added there in
    parallel. `stop()` (SIGTERM, then SIGKILL) and `cleanup()` (also at interpreter exit) always
    end the process and delete the directory.

    Run as root, Mosquitto drops to the `mosquitto` user before it reads certificates, so the
    files are then laid out as README.md says: key group-readable by that user, data and log
    directories owned by it.
    """

    def __init__(self, certs: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="trib-it-mosquitto-"))
        atexit.register(self.cleanup)
        self.etc, self.db, self.log_dir = self.root / "etc", self.root / "db", self.root / "log"
        for d in (self.etc, self.db, self.log_dir):
            d.mkdir()
        self.certs = certs
        for name in ("ca.crt", "broker.crt", "broker.key", "crl.pem"):
            shutil.copy(self.certs / "broker" / name, self.etc / name)
        shutil.copy(EXAMPLE / "acl", self.etc / "acl")
        self.port = free_port()
        self.conf = self.root / "mosquitto.conf"
        self.conf.write_text(rewrite_config((EXAMPLE / "mosquitto.conf").read_text(),
                                            self.etc, self.db, self.log_dir, self.port))
        self.proc: subprocess.Popen | None = None
        if os.geteuid() == 0:
            self._give_to_broker_user()

    @property
    def log_path(self) -> Path:
        return self.log_dir / "mosquitto.log"

    def install_crl(self) -> None:
        """Installs make-certs.sh's current broker/crl.pem, as README.md's revocation step does
        (only the CRL: a reload re-reads the key too, and an unreadable one breaks the listener)."""
        shutil.copy(self.certs / "broker" / "crl.pem", self.etc / "crl.pem")

    def _give_to_broker_user(self) -> None:
        try:
            user = pwd.getpwnam("mosquitto")
        except KeyError:
            user = pwd.getpwnam("nobody")
        self.root.chmod(0o755)
        os.chown(self.etc, 0, user.pw_gid)
        self.etc.chmod(0o750)
        os.chown(self.etc / "broker.key", 0, user.pw_gid)
        (self.etc / "broker.key").chmod(0o640)
        for d in (self.db, self.log_dir):
            os.chown(d, user.pw_uid, user.pw_gid)

    def start(self) -> "Broker":
        with open(self.root / "stderr", "ab") as err:
            self.proc = subprocess.Popen([str(MOSQUITTO), "-c", str(self.conf)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mosquitto exited with {self.proc.returncode}:\n"
                                     f"{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto not listening on {self.port}:\n{self.output()}")

    def reload(self) -> None:
        """SIGHUP, as `systemctl reload mosquitto` sends; returns once the log says so."""
        count = self.output().count("Reloading config.")
        self.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.output().count("Reloading config.") > count, "the reload")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=WAIT_S)

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            atexit.unregister(self.cleanup)

    def output(self) -> str:
        text = ""
        for p in (self.root / "stderr", self.log_path):
            try:
                text += p.read_text(errors="replace")
            except OSError:
                pass
        return text


def wait_until(predicate, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class Identity:
    """A client's TLS material: the CA it trusts and, optionally, its certificate and key."""

    def __init__(self, ca: Path, cert: Path | None = None, key: Path | None = None) -> None:
        self.ca, self.cert, self.key = ca, cert, key

    @classmethod
    def device(cls, certs: Path, device: str) -> "Identity":
        d = certs / "devices" / device
        return cls(certs / "ca.crt", d / "device.crt", d / "device.key")

    @classmethod
    def collector(cls, certs: Path) -> "Identity":
        d = certs / "collector"
        return cls(certs / "ca.crt", d / "collector.crt", d / "collector.key")

    def args(self, port: int) -> list[str]:
        a = ["-h", "127.0.0.1", "-p", str(port), "-V", "mqttv5", "--cafile", str(self.ca)]
        if self.cert:
            a += ["--cert", str(self.cert), "--key", str(self.key)]
        return a


def publish(broker: Broker, who: Identity, topic: str, payload: str) -> subprocess.CompletedProcess:
    """mosquitto_pub, QoS 1: returns after the broker's PUBACK (or the connection failed)."""
    return subprocess.run([PUB, *who.args(broker.port), "-i", f"pub-{uuid.uuid4().hex[:12]}",
                           "-q", "1", "-t", topic, "-m", payload],
                          capture_output=True, text=True, timeout=WAIT_S + 5)


class Subscriber:
    """mosquitto_sub in the background; messages are collected as (topic, payload)."""

    def __init__(self, broker: Broker, who: Identity, *topics: str) -> None:
        # Line-buffered: the SUBACK and each message must reach us as they happen.
        cmd = ["stdbuf", "-oL", SUB, *who.args(broker.port), "-i", f"sub-{uuid.uuid4().hex[:12]}", "-q", "1",
               "-d", "-F", "MSG %t %p"]
        for t in topics:
            cmd += ["-t", t]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.messages: list[tuple[str, str]] = []
        self.suback: str | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def _drain(self, timeout: float) -> bool:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return False
        if line.startswith("MSG "):
            _, topic, payload = line.split(" ", 2)
            self.messages.append((topic, payload))
        elif line.startswith("Subscribed (mid: "):
            self.suback = line.split(": ", 2)[2]
        return True

    def wait_subscribed(self) -> str:
        """Waits for the SUBACK; returns its reason codes as mosquitto_sub prints them."""
        deadline = time.monotonic() + WAIT_S
        while self.suback is None:
            if time.monotonic() > deadline or (self.proc.poll() is not None and self.lines.empty()):
                raise AssertionError(f"no SUBACK; mosquitto_sub said: {self.pending()}")
            self._drain(0.1)
        return self.suback

    def wait_for(self, payload: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while payload not in (p for _, p in self.messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"{payload!r} never arrived; got {self.messages}")
            self._drain(0.1)

    def payloads(self) -> list[str]:
        while self._drain(0.0):
            pass
        return [p for _, p in self.messages]

    def pending(self) -> str:
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return "\n".join(out)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=WAIT_S)
        self.proc.stdout.close()


def marker(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@needs_mosquitto
class MosquittoExampleTest(unittest.TestCase):
    """One broker for the access-control checks, which leave no state behind."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = Path(tempfile.mkdtemp(prefix="trib-it-mqcerts-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.certs = cls.tmp / "pki"
        done = make_certs(cls.certs, "dev-a", "dev-b")
        if done.returncode != 0:
            raise AssertionError(f"make-certs.sh failed: {done.stderr}")
        cls.broker = Broker(cls.certs)
        cls.addClassCleanup(cls.broker.cleanup)
        cls.broker.start()
        cls.a = Identity.device(cls.certs, "dev-a")
        cls.b = Identity.device(cls.certs, "dev-b")
        cls.collector = Identity.collector(cls.certs)

    def subscribe(self, who: Identity, *topics: str) -> Subscriber:
        sub = Subscriber(self.broker, who, *topics)
        self.addCleanup(sub.close)
        sub.wait_subscribed()
        return sub

    def publish_ok(self, who: Identity, topic: str, payload: str) -> None:
        done = publish(self.broker, who, topic, payload)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("failed", done.stderr)

    def assert_refused_publish(self, who: Identity, topic: str, payload: str) -> None:
        done = publish(self.broker, who, topic, payload)
        # MQTT 5: the broker answers the PUBLISH with PUBACK reason 0x87 and drops it.
        self.assertIn("Not authorized", done.stderr)

    def assert_refused_connection(self, who: Identity, log_text: str) -> None:
        size = len(self.broker.output())
        done = publish(self.broker, who, "tributary/v1/dev-a/put/app", marker("refused"))
        self.assertNotEqual(done.returncode, 0, "the broker accepted the connection")
        wait_until(lambda: log_text in self.broker.output()[size:], f"'{log_text}' in the log")

    def test_rewrite_changes_only_paths_and_port(self) -> None:
        shipped = (EXAMPLE / "mosquitto.conf").read_text().splitlines()
        running = self.broker.conf.read_text().splitlines()
        self.assertEqual(len(shipped), len(running))
        changed = {a.split()[0] for a, b in zip(shipped, running) if a != b}
        self.assertEqual(changed, {"listener", "cafile", "certfile", "keyfile", "crlfile",
                                   "acl_file", "persistence_location", "log_dest"})

    def test_device_request_reaches_the_collectors_shared_subscription(self) -> None:
        sub = self.subscribe(self.collector, SHARED_FILTER)
        payload = marker("request")
        self.publish_ok(self.a, "tributary/v1/dev-a/put/app", payload)
        sub.wait_for(payload)
        self.assertIn(("tributary/v1/dev-a/put/app", payload), sub.messages)

    def test_device_cannot_publish_to_another_devices_put_topic(self) -> None:
        sub = self.subscribe(self.collector, SHARED_FILTER)
        forged = marker("forged")
        self.assert_refused_publish(self.a, "tributary/v1/dev-b/put/app", forged)
        after = marker("after")
        self.publish_ok(self.b, "tributary/v1/dev-b/put/app", after)
        sub.wait_for(after)
        self.assertNotIn(forged, sub.payloads())

    def test_device_cannot_read_another_devices_answers(self) -> None:
        spy = self.subscribe(self.a, "tributary/v1/dev-a/ack", "tributary/v1/dev-b/ack")
        owner = self.subscribe(self.b, "tributary/v1/dev-b/ack")
        answer = marker("answer-for-b")
        self.publish_ok(self.collector, "tributary/v1/dev-b/ack", answer)
        owner.wait_for(answer)
        own = marker("answer-for-a")
        self.publish_ok(self.collector, "tributary/v1/dev-a/ack", own)
        spy.wait_for(own)
        self.assertNotIn(answer, spy.payloads())

    def test_device_cannot_read_other_devices_requests(self) -> None:
        spy = self.subscribe(self.a, "tributary/v1/+/put/+", "tributary/v1/dev-a/ack")
        collector = self.subscribe(self.collector, SHARED_FILTER)
        request = marker("request-of-b")
        self.publish_ok(self.b, "tributary/v1/dev-b/put/app", request)
        collector.wait_for(request)
        own = marker("answer-for-a")
        self.publish_ok(self.collector, "tributary/v1/dev-a/ack", own)
        spy.wait_for(own)
        self.assertNotIn(request, spy.payloads())

    def test_device_cannot_publish_answers(self) -> None:
        sub = self.subscribe(self.a, "tributary/v1/dev-a/ack")
        fake = marker("fake-answer")
        self.assert_refused_publish(self.b, "tributary/v1/dev-a/ack", fake)
        real = marker("real-answer")
        self.publish_ok(self.collector, "tributary/v1/dev-a/ack", real)
        sub.wait_for(real)
        self.assertNotIn(fake, sub.payloads())

    def test_client_without_certificate_cannot_connect(self) -> None:
        self.assert_refused_connection(Identity(self.certs / "ca.crt"),
                                       "peer did not return a certificate")

    def test_certificate_from_another_ca_cannot_connect(self) -> None:
        other = self.tmp / "other-pki"
        done = make_certs(other, "dev-a")
        self.assertEqual(done.returncode, 0, done.stderr)
        impostor = Identity(self.certs / "ca.crt", other / "devices" / "dev-a" / "device.crt",
                            other / "devices" / "dev-a" / "device.key")
        self.assert_refused_connection(impostor, "certificate verify failed")

    def test_broker_announces_a_packet_limit_that_fits_the_largest_request(self) -> None:
        props = connack_properties(self.broker.port, self.a)
        largest = max_request_bytes() + max_request_overhead()
        self.assertGreaterEqual(props["maximum_packet_size"], largest)
        self.assertEqual(props["retain_available"], 0)


@needs_mosquitto
class RevocationTest(unittest.TestCase):
    """The README's revocation steps: make-certs.sh --revoke, install crl.pem, reload."""

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="trib-it-mqcerts-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.certs = self.tmp / "pki"
        done = make_certs(self.certs, "dev-lost")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.broker = Broker(self.certs)
        self.addCleanup(self.broker.cleanup)
        self.broker.start()

    def test_revoked_device_cannot_connect(self) -> None:
        lost = Identity.device(self.certs, "dev-lost")
        before = publish(self.broker, lost, "tributary/v1/dev-lost/put/app", marker("before"))
        self.assertEqual(before.returncode, 0, before.stderr)
        done = make_certs("--revoke", self.certs, "dev-lost")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.broker.install_crl()
        self.broker.reload()
        size = len(self.broker.output())
        after = publish(self.broker, lost, "tributary/v1/dev-lost/put/app", marker("after"))
        self.assertNotEqual(after.returncode, 0, "the revoked certificate still connects")
        wait_until(lambda: "certificate verify failed" in self.broker.output()[size:],
                   f"the refusal in the log:\n{self.broker.output()}")


@needs_mosquitto
class MakeCertsTest(unittest.TestCase):
    """make-certs.sh's own promises (no broker needed)."""

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="trib-it-mqcerts-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.dir = self.tmp / "pki"

    def run_ok(self, *args: str | Path) -> subprocess.CompletedProcess:
        done = make_certs(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done

    def test_invalid_device_id_is_refused_before_anything_is_written(self) -> None:
        for bad in ("a/b", "a+b", "#", "", "x" * 129, "dév"):
            done = make_certs(self.dir, "good", bad)
            self.assertNotEqual(done.returncode, 0, bad)
            self.assertIn("invalid device id", done.stderr)
        self.assertFalse((self.dir / "devices").exists())

    def test_device_id_longer_than_a_cn_is_refused(self) -> None:
        done = make_certs(self.dir, "x" * 65)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("at most 64", done.stderr)

    def test_collector_identity_is_refused_as_a_device(self) -> None:
        done = make_certs(self.dir, COLLECTOR_CN)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("collector's identity", done.stderr)

    def test_rerun_reuses_the_ca(self) -> None:
        self.run_ok(self.dir, "dev-1")
        ca = (self.dir / "ca.crt").read_bytes()
        broker = (self.dir / "broker" / "broker.crt").read_bytes()
        self.run_ok(self.dir, "dev-2")
        self.assertEqual((self.dir / "ca.crt").read_bytes(), ca)
        self.assertEqual((self.dir / "broker" / "broker.crt").read_bytes(), broker)

    def test_existing_device_is_not_overwritten_without_force(self) -> None:
        self.run_ok(self.dir, "dev-1")
        cert = (self.dir / "devices" / "dev-1" / "device.crt").read_bytes()
        done = make_certs(self.dir, "dev-1")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("--force", done.stderr)
        self.assertEqual((self.dir / "devices" / "dev-1" / "device.crt").read_bytes(), cert)
        self.run_ok("--force", self.dir, "dev-1")
        self.assertNotEqual((self.dir / "devices" / "dev-1" / "device.crt").read_bytes(), cert)

    def test_private_keys_are_readable_by_owner_only(self) -> None:
        self.run_ok(self.dir, "dev-1")
        keys = sorted(self.dir.rglob("*.key"))
        self.assertEqual([k.name for k in keys], ["broker.key", "ca.key", "collector.key",
                                                  "device.key"])
        for k in keys:
            self.assertEqual(k.stat().st_mode & 0o777, 0o600, k)

    def test_device_certificate_carries_the_device_id_as_cn_for_client_auth_only(self) -> None:
        self.run_ok(self.dir, "sensor-1.eu_west")
        text = subprocess.run(["openssl", "x509", "-noout", "-subject", "-ext",
                               "extendedKeyUsage", "-in",
                               self.dir / "devices" / "sensor-1.eu_west" / "device.crt"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("subject=CN = sensor-1.eu_west", text)
        self.assertIn("TLS Web Client Authentication", text)
        self.assertNotIn("Server Authentication", text)

    def test_broker_certificate_names_the_configured_hosts(self) -> None:
        self.run_ok("--san", "DNS:mqtt.example.com,IP:10.0.0.5", self.dir)
        text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                               self.dir / "broker" / "broker.crt"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("DNS:mqtt.example.com, IP Address:10.0.0.5", text)


# --------------------------------------------------------------------------------------------
# The wire limits, read from the reference implementation so the config cannot drift from it.


def max_request_bytes() -> int:
    """kMaxRequestBytes of shared/wire/batch.h, evaluated from its constant definitions."""
    consts: dict[str, int] = {}
    text = (REPO / "shared" / "wire" / "batch.h").read_text()
    for name, expr in re.findall(r"inline constexpr size_t (k\w+) = ([^;]+);", text):
        consts[name] = eval(re.sub(r"size_t\((\d+)\)", r"\1", expr), {"__builtins__": {}}, consts)
    return consts["kMaxRequestBytes"]


def max_request_overhead() -> int:
    """What a request's PUBLISH adds to its payload at most (docs/mqtt.md §2, §4)."""
    device = stream = 128
    topic = 2 + len("tributary/v1/") + device + len("/put/") + stream
    packet_id = 2
    response_topic = 1 + 2 + len("tributary/v1/") + device + len("/ack")
    correlation = 1 + 2 + 64
    expiry = 1 + 4
    format_indicator = 1 + 1
    properties = response_topic + correlation + expiry + format_indicator
    fixed_header = 1 + 4
    return fixed_header + topic + packet_id + 1 + properties  # + 1: property length varint


def connack_properties(port: int, who: Identity) -> dict[str, int]:
    """Connects with a bare MQTT 5 CONNECT and returns the CONNACK properties we check."""
    ctx = ssl.create_default_context(cafile=str(who.ca))
    ctx.load_cert_chain(str(who.cert), str(who.key))
    client_id = f"probe-{uuid.uuid4().hex[:8]}".encode()
    # Protocol name, level 5, flags: Clean Start, keep alive 60 s, no properties.
    body = b"\x00\x04MQTT\x05\x02\x00\x3c\x00" + struct.pack(">H", len(client_id)) + client_id
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall(bytes([0x10, len(body)]) + body)
        data = b""
        while len(data) < 2 or len(data) < 2 + data[1]:
            chunk = s.recv(256)
            if not chunk:
                raise AssertionError(f"connection closed after {data.hex()}")
            data += chunk
    if data[0] != 0x20 or data[3] != 0:
        raise AssertionError(f"not a successful CONNACK: {data.hex()}")
    # Remaining length < 128 (one byte), then flags, reason code, property length < 128.
    props, i, out = data[5:5 + data[4]], 0, {}
    string = -1  # a length-prefixed UTF-8 string
    sizes = {0x11: 4, 0x12: string, 0x13: 2, 0x1A: string, 0x1C: string, 0x1F: string, 0x21: 2,
             0x22: 2, 0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1}
    names = {0x25: "retain_available", 0x27: "maximum_packet_size", 0x21: "receive_maximum"}
    while i < len(props):
        pid = props[i]
        i += 1
        if pid not in sizes:
            raise AssertionError(f"unexpected CONNACK property {pid:#x} in {data.hex()}")
        size = sizes[pid]
        if size == string:
            size = 2 + struct.unpack(">H", props[i:i + 2])[0]
        if pid in names:
            out[names[pid]] = int.from_bytes(props[i:i + size], "big")
        i += size
    return out


if __name__ == "__main__":
    unittest.main()
