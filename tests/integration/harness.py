"""Process and wire helpers for the integration suites (standard library only).

`Collector` runs a real `tributary-collector` on a free loopback port with a temporary data
directory; `Kinesalite` runs npm kinesalite@3.3.3 (a 2020-era Kinesis emulator) the same way, as
an oracle for differential tests. Both are context managers that always stop their process and
delete their temporary directory, and both print the server's stderr tail when something fails.

`start_target()` picks one of the two from the environment, so the client suites can be pointed
at kinesalite while the collector is still being written:

    TRIB_TARGET=collector (default) | kinesalite
    TRIB_COLLECTOR   path of the collector binary (default <repo>/build/collector/tributary-collector)
    TRIB_NODE        node binary for kinesalite (default: `node` on PATH)

Raw HTTP helpers (`raw_call`, `sigv4_headers`) exist for what the SDKs will not send: unknown
operations, malformed bodies, values the SDKs reject client-side, hand-made signatures.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "tests" / "node"
ACCOUNT = "000000000000"
REGION = "us-east-1"
DUMMY_KEY = "x"
DUMMY_SECRET = "x"

READY_TIMEOUT_S = 20.0
STOP_GRACE_S = 10.0


class ServerError(RuntimeError):
    """The server under test could not be started or stopped as asked."""


# --------------------------------------------------------------------------------------------
# Target selection


def target_kind() -> str:
    kind = os.environ.get("TRIB_TARGET", "collector").strip().lower() or "collector"
    if kind not in ("collector", "kinesalite"):
        raise ServerError(f"TRIB_TARGET must be 'collector' or 'kinesalite', not {kind!r}")
    return kind


def on_kinesalite() -> bool:
    return target_kind() == "kinesalite"


def collector_binary() -> Path:
    return Path(os.environ.get("TRIB_COLLECTOR")
                or REPO / "build" / "collector" / "tributary-collector")


def start_target(*flags: str):
    """A Collector with `flags`, or a Kinesalite when TRIB_TARGET=kinesalite (flags ignored)."""
    if on_kinesalite():
        return Kinesalite()
    return Collector(*flags)


def collector_only(reason: str):
    """Skip a test or class when the suites run against kinesalite."""
    return unittest.skipIf(on_kinesalite(), f"collector only: {reason}")


def aws_only(deviation: str):
    """Skip where kinesalite is known to differ from today's AWS; `deviation` says how."""
    return unittest.skipIf(on_kinesalite(), f"kinesalite deviates from AWS: {deviation}")


# --------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # If the test runner is killed (ctest timeout), take the server with it.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class _Server:
    """Common lifecycle: spawn, wait until ready, SIGTERM/SIGKILL, stderr capture, cleanup."""

    name = "server"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"trib-it-{self.name}-"))
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._starts = 0
        self.extra_env: dict[str, str] = {}  # added to the environment of the next start
        # Last resort for a server whose owner never reached cleanup(): stop it and delete its
        # directory when the interpreter exits.
        atexit.register(self.cleanup)

    # to be provided by subclasses
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def start(self, ready_timeout: float = READY_TIMEOUT_S) -> "_Server":
        """Start the process; a fresh port is tried again if the first start exits at once."""
        attempts = 1 if self.port else 3
        for attempt in range(attempts):
            if not self.port or attempt:
                self.port = free_port()
            self._spawn()
            try:
                self._wait_ready(ready_timeout)
                return self
            except ServerError:
                exited = self.proc is not None and self.proc.poll() is not None
                self._terminate(grace=2.0)
                if not exited or attempt == attempts - 1:
                    self.print_tail()
                    raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        self._starts += 1
        self._log = open(self.log_path, "ab")
        shown = " ".join("<script>" if "\n" in a else a for a in self._command())
        self._log.write(f"\n==== start #{self._starts}: {shown}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self._command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            cwd=self._cwd(), preexec_fn=_die_with_parent, env=self._env())

    def _cwd(self) -> str:
        return str(self.root)

    def _env(self) -> dict:
        return {**os.environ, **self.extra_env}

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.proc.returncode} before ready")
            try:
                if self._ready():
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise ServerError(f"{self.name} not ready on port {self.port} within {timeout:.0f} s")

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 10 s. Returns the exit code (None if never started)."""
        return self._terminate(grace=STOP_GRACE_S)

    def kill9(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(timeout=10)
        self._close_log()
        return code

    def restart(self, ready_timeout: float = READY_TIMEOUT_S) -> "_Server":
        """Stop (if running) and start again on the same port with the same data."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        return self.start(ready_timeout)

    def _terminate(self, grace: float) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._note(f"did not exit {grace:.0f} s after SIGTERM; sending SIGKILL")
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close_log()
        return self.proc.returncode

    def _note(self, text: str) -> None:
        if self._log and not self._log.closed:
            self._log.write(f"==== harness: {text}\n".encode())
            self._log.flush()

    def _close_log(self) -> None:
        if self._log and not self._log.closed:
            self._log.close()

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server output)"
        return "\n".join(text.splitlines()[-lines:])

    def print_tail(self, lines: int = 60) -> None:
        print(f"\n---- {self.name} output (last {lines} lines, port {self.port}) ----\n"
              f"{self.tail(lines)}\n---- end of {self.name} output ----", file=sys.stderr)

    def cleanup(self) -> None:
        try:
            self._terminate(grace=STOP_GRACE_S)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            atexit.unregister(self.cleanup)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.print_tail()
        self.cleanup()


class Collector(_Server):
    """A tributary-collector process: `with Collector("--sync=on") as c: ... c.endpoint`."""

    name = "collector"

    def __init__(self, *flags: str, binary: str | os.PathLike | None = None) -> None:
        super().__init__()
        self.binary = Path(binary) if binary else collector_binary()
        if not self.binary.is_file():
            shutil.rmtree(self.root, ignore_errors=True)
            raise ServerError(f"collector binary not found: {self.binary} (set TRIB_COLLECTOR)")
        self.flags = list(flags)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir()

    def _command(self) -> list[str]:
        return [str(self.binary), "--data-dir", str(self.data_dir),
                "--listen", f"127.0.0.1:{self.port}", *self.flags]

    def _ready(self) -> bool:
        status, body = http_get(self.port, "/health")
        return status == 200

    def metrics(self) -> str:
        status, body = http_get(self.port, "/metrics", timeout=5)
        if status != 200:
            raise ServerError(f"GET /metrics answered {status}")
        return body.decode()


def mosquitto_binary() -> Path:
    found = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    return Path(os.environ.get("TRIB_MOSQUITTO", found))


class Mosquitto(_Server):
    """A Mosquitto 2.0 broker on a free loopback port, from a mosquitto.conf generated in its
    temp dir, logging to server.log there: `with Mosquitto() as broker: ... broker.uri`.
    Anonymous, no persistence unless `persistence=True` (its database then lives in the temp
    dir too); `extra_conf` lines are appended verbatim."""

    name = "mosquitto"

    def __init__(self, persistence: bool = False, extra_conf: str = "",
                 binary: str | os.PathLike | None = None) -> None:
        super().__init__()
        self.binary = Path(binary) if binary else mosquitto_binary()
        if not self.binary.is_file():
            shutil.rmtree(self.root, ignore_errors=True)
            raise ServerError(f"mosquitto not found: {self.binary} (set TRIB_MOSQUITTO)")
        self.persistence = persistence
        self.extra_conf = extra_conf

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.root / "mosquitto.conf"

    def _spawn(self) -> None:
        # The port can change between attempts (start() retries on a fresh one).
        lines = [f"listener {self.port} 127.0.0.1",
                 "allow_anonymous true",
                 f"persistence {'true' if self.persistence else 'false'}",
                 f"persistence_location {self.root}/",
                 "log_dest stderr",
                 "log_type error",
                 "log_type warning",
                 "log_type notice",
                 "log_type information",
                 "log_timestamp_format %H:%M:%S",
                 self.extra_conf]
        self.config_path.write_text("\n".join(lines) + "\n")
        super()._spawn()

    def _command(self) -> list[str]:
        return [str(self.binary), "-c", str(self.config_path)]

    def _ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
            return True


_KINESALITE_LAUNCHER = """
const [modulePath, port] = process.argv.slice(1);
const server = require(modulePath)({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0,
                                    shardLimit: 10000});
server.listen(Number(port), '127.0.0.1', () => console.log('kinesalite listening on ' + port));
process.on('SIGTERM', () => process.exit(0));
"""


def agent_binary() -> Path:
    return Path(os.environ.get("TRIB_AGENT") or REPO / "build" / "agent" / "tributary-agent")


class Agent(_Server):
    """A tributary-agent process with an agent.json written from `config` (a dict).

    `spoolDirectory` and `statusListen` are filled in (a directory under the agent's temporary
    root, a free loopback port) unless the config sets them; readiness is GET /health on the
    status port. `write_config()` may be called again before a restart. `prefix` runs the
    binary through another program, e.g. ["qemu-aarch64-static"] for a cross-built agent
    (tests/cross); `self.proc.pid` is then the emulator's, which is the agent's process.
    """

    name = "agent"

    def __init__(self, config: dict, binary: str | os.PathLike | None = None,
                 prefix: list[str] | None = None) -> None:
        super().__init__()
        self.binary = Path(binary) if binary else agent_binary()
        if not self.binary.is_file():
            shutil.rmtree(self.root, ignore_errors=True)
            raise ServerError(f"agent binary not found: {self.binary} (set TRIB_AGENT)")
        self.prefix = list(prefix or [])
        self.config = dict(config)
        self.config_path = self.root / "agent.json"

    def write_config(self) -> None:
        cfg = dict(self.config)
        cfg.setdefault("spoolDirectory", str(self.root / "spool"))
        cfg["statusListen"] = f"127.0.0.1:{self.port}"
        self.config_path.write_text(json.dumps(cfg, indent=2))

    def _spawn(self) -> None:
        self.write_config()
        super()._spawn()

    def _command(self) -> list[str]:
        return [*self.prefix, str(self.binary), "--config", str(self.config_path)]

    def _ready(self) -> bool:
        status, _ = http_get(self.port, "/health")
        return status == 200

    def status(self) -> dict:
        status, body = http_get(self.port, "/status", timeout=5)
        if status != 200:
            raise ServerError(f"GET /status answered {status}")
        return json.loads(body)


def read_stream(endpoint: str, stream: str, timeout: float = 30.0,
                expect: int | None = None) -> list[tuple[str, bytes]]:
    """Every record of `stream` as (shard id, data), each shard from TRIM_HORIZON in order,
    shards in ListShards order. With `expect`, polls until that many records are there or
    `timeout` passes."""
    client = boto3_client(endpoint)
    deadline = time.monotonic() + timeout
    while True:
        out: list[tuple[str, bytes]] = []
        for shard in client.list_shards(StreamName=stream)["Shards"]:
            it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                           ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                resp = client.get_records(ShardIterator=it, Limit=10000)
                out.extend((shard["ShardId"], r["Data"]) for r in resp["Records"])
                if not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
                    break
                it = resp.get("NextShardIterator")
        if expect is None or len(out) >= expect or time.monotonic() > deadline:
            return out
        time.sleep(0.2)


class Kinesalite(_Server):
    """npm kinesalite@3.3.3 from tests/node, in memory, listening on loopback only.

    Equivalent to `node_modules/.bin/kinesalite --createStreamMs 0 --deleteStreamMs 0
    --updateStreamMs 0 --shardLimit 10000`, but bound to 127.0.0.1 (the CLI binds every
    interface). The shard limit is raised because kinesalite's default (10 shards per account)
    is smaller than what one suite creates. It keeps nothing on disk, so `restart()` loses data.
    """

    name = "kinesalite"
    data_dir = None

    def __init__(self) -> None:
        super().__init__()
        self.module = NODE_DIR / "node_modules" / "kinesalite"
        if not (self.module / "index.js").is_file():
            shutil.rmtree(self.root, ignore_errors=True)
            raise ServerError(f"kinesalite not installed: run `npm ci` in {NODE_DIR}")
        self.node = os.environ.get("TRIB_NODE") or shutil.which("node")
        if not self.node:
            shutil.rmtree(self.root, ignore_errors=True)
            raise ServerError("node not found (set TRIB_NODE)")

    def _command(self) -> list[str]:
        return [self.node, "-e", _KINESALITE_LAUNCHER, str(self.module), str(self.port)]

    def _ready(self) -> bool:
        # kinesalite has no health endpoint: any answer to a POST means it is serving.
        resp = raw_call(self.endpoint, "ListStreams", {}, timeout=2)
        return resp.status in (200, 400)


# --------------------------------------------------------------------------------------------
# Clients


def boto3_client(endpoint: str, *, key: str = DUMMY_KEY, secret: str = DUMMY_SECRET,
                 read_timeout: float = 30.0):
    """A boto3 Kinesis client without retries, so errors reach the test unchanged."""
    import boto3
    from botocore.config import Config

    cfg = Config(region_name=REGION, connect_timeout=5, read_timeout=read_timeout,
                 retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client("kinesis", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=cfg)


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for_status(client, name: str, status: str = "ACTIVE", timeout: float = 20.0) -> dict:
    """Poll DescribeStreamSummary until the stream reaches `status`; returns the summary."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        last = summary["StreamStatus"]
        if last == status:
            return summary
        time.sleep(0.05)
    raise AssertionError(f"stream {name} still {last}, not {status}, after {timeout:.0f} s")


def wait_for_deletion(client, name: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.describe_stream_summary(StreamName=name)
        except client.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.05)
    raise AssertionError(f"stream {name} still exists {timeout:.0f} s after DeleteStream")


# --------------------------------------------------------------------------------------------
# Raw HTTP with SigV4


def sigv4_headers(url: str, target: str, body: bytes, *, key: str = DUMMY_KEY,
                  secret: str = DUMMY_SECRET, region: str = REGION, service: str = "kinesis",
                  content_type: str = "application/x-amz-json-1.1",
                  now: _dt.datetime | None = None) -> dict[str, str]:
    """Headers for a SigV4-signed POST (Signature Version 4, header form)."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parsed = urllib.parse.urlsplit(url)
    host = parsed.netloc
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date,
               "x-amz-target": target}
    signed = sorted(headers)
    canonical = "\n".join([
        "POST", parsed.path or "/", "",
        "".join(f"{h}:{headers[h].strip()}\n" for h in signed),
        ";".join(signed), payload_hash])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])

    def _hmac(k: bytes, msg: str) -> bytes:
        return hmac.new(k, msg.encode(), hashlib.sha256).digest()

    k = _hmac(("AWS4" + secret).encode(), day)
    k = _hmac(_hmac(_hmac(k, region), service), "aws4_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    out = {
        "Content-Type": content_type, "X-Amz-Target": target, "X-Amz-Date": amz_date,
        "Authorization": (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
                          f"SignedHeaders={';'.join(signed)}, Signature={signature}"),
    }
    return out


class RawResponse:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body.strip() else None

    @property
    def error_type(self) -> str | None:
        """The AWS error code: `__type` without any `namespace#` prefix."""
        try:
            doc = self.json
        except ValueError:
            return None
        if not isinstance(doc, dict) or "__type" not in doc:
            return None
        return str(doc["__type"]).rsplit("#", 1)[-1]

    @property
    def message(self) -> str | None:
        try:
            doc = self.json
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        return doc.get("message", doc.get("Message"))

    def __repr__(self) -> str:
        return f"RawResponse({self.status}, {self.body[:300]!r})"


def raw_call(endpoint: str, operation: str, body, *, sign: bool = True,
             target: str | None = None, content_type: str = "application/x-amz-json-1.1",
             key: str = DUMMY_KEY, secret: str = DUMMY_SECRET, extra_headers: dict | None = None,
             path: str = "/", timeout: float = 30.0) -> RawResponse:
    """POST one Kinesis request. `body` is a dict (sent as JSON) or bytes (sent as is)."""
    data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
    target = target or f"Kinesis_20131202.{operation}"
    url = endpoint.rstrip("/") + path.split("?")[0]
    if sign:
        headers = sigv4_headers(url, target, bytes(data), key=key, secret=secret,
                                content_type=content_type)
    else:
        headers = {"Content-Type": content_type, "X-Amz-Target": target}
    headers.update(extra_headers or {})
    return raw_request(endpoint, "POST", path, headers, bytes(data), timeout=timeout)


def raw_request(endpoint: str, method: str, path: str, headers: dict, body: bytes = b"", *,
                timeout: float = 30.0) -> RawResponse:
    """One HTTP request exactly as given (no signing, no defaults)."""
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        return RawResponse(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# unittest glue


class ServerTestCase(unittest.TestCase):
    """Base for a TestCase class that shares one server, started by `start_server()`.

    When a test fails or errors, the server's output tail is printed next to the failure.
    """

    server: _Server | None = None

    @classmethod
    def start_server(cls, server: _Server) -> _Server:
        try:
            server.start()
        except BaseException:
            server.cleanup()
            raise
        cls.server = server
        cls.addClassCleanup(server.cleanup)
        return server

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result else 0
        out = super().run(result)
        after = (len(result.failures) + len(result.errors)) if result else 0
        if after > before and self.server is not None:
            self.server.print_tail(40)
        return out

    @contextlib.contextmanager
    def assertAwsError(self, code: str, message: str | None = None, *,
                       startswith: str | None = None, contains: tuple[str, ...] = (),
                       status: int = 400):
        """Expect the block to raise a botocore ClientError with this code (and message)."""
        from botocore.exceptions import ClientError

        with self.assertRaises(ClientError) as caught:
            yield caught
        err = caught.exception.response.get("Error", {})
        meta = caught.exception.response.get("ResponseMetadata", {})
        self.check_error(code, err.get("Code"), err.get("Message"), meta.get("HTTPStatusCode"),
                         message=message, startswith=startswith, contains=contains, status=status)

    def assertRawError(self, resp: RawResponse, code: str, message: str | None = None, *,
                       startswith: str | None = None, contains: tuple[str, ...] = (),
                       status: int = 400) -> None:
        self.check_error(code, resp.error_type, resp.message, resp.status, message=message,
                         startswith=startswith, contains=contains, status=status)

    def check_error(self, code, got_code, got_message, got_status, *, message, startswith,
                    contains, status) -> None:
        where = f"(got {got_status} {got_code}: {got_message!r})"
        self.assertEqual(got_code, code, where)
        if status is not None:
            self.assertEqual(got_status, status, where)
        if message is not None:
            self.assertEqual(got_message, message, where)
        if startswith is not None:
            self.assertTrue((got_message or "").startswith(startswith),
                            f"message should start with {startswith!r} {where}")
        for part in contains:
            self.assertIn(part, got_message or "", where)
