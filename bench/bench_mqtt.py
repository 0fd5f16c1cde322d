#!/usr/bin/env python3
"""bench/bench_mqtt.py: the MQTT path end to end, tributary-agent → Mosquitto → collector.

Prints, each beside its target or peer from the same run:

* latency: line written → readable with GetRecords, p50/p99, at 1,000 lines/s with a
  low-latency batching setting (maxBufferAgeMillis 5); the reader polls GetRecords without
  pause, so its own call time (a few ms) is included;
* throughput: lines/s delivered through Mosquitto, durable at both ends (200-byte lines from a
  file), beside the same agent over HTTPS to the same collector;
* bytes on the wire per line, both directions, counted by a TCP proxy in front of the broker or
  the collector: MQTT binary with zstd, without, and HTTPS JSON (Kinesis PutRecords).

The lines are Apache access-log lines with varying fields (compression on a repeated filler
would flatter zstd). Every process listens on 127.0.0.1 and is stopped at the end.

    bench/bench_mqtt.py [--lines 300000] [--repeat 3]
    env: TRIB_COLLECTOR, TRIB_AGENT, TRIB_MOSQUITTO
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from harness import Agent, Collector, Mosquitto, boto3_client, wait_for_status  # noqa: E402


class CountingProxy(threading.Thread):
    """Forwards 127.0.0.1:<port> to a target port and counts the bytes each way."""

    def __init__(self, target_port: int) -> None:
        super().__init__(daemon=True)
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.up = self.down = 0
        self.lock = threading.Lock()

    def run(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            # No Nagle on the proxy's own sockets: it must not add delays the path lacks.
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for src, dst, up in ((client, server, True), (server, client, False)):
                threading.Thread(target=self.pump, args=(src, dst, up), daemon=True).start()

    def pump(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
                with self.lock:
                    if up:
                        self.up += len(data)
                    else:
                        self.down += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def total(self) -> int:
        with self.lock:
            return self.up + self.down

    def close(self) -> None:
        self.sock.close()


PATHS = ["/", "/index.html", "/api/v1/sensors", "/api/v1/readings?since=1700000000",
         "/static/app.js", "/static/style.css", "/login", "/metrics", "/healthz"]
AGENTS = ["Mozilla/5.0 (X11; Linux aarch64)", "curl/7.88.1", "python-requests/2.31",
          "Prometheus/2.45.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"]


def log_line(rng: random.Random, i: int) -> str:
    """~200 bytes of combined log format (plus request id, session id, response time),
    different in every line."""
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return (f'{ip} - - [26/Nov/2026:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] '
            f'"GET {rng.choice(PATHS)} HTTP/1.1" {rng.choice([200, 200, 200, 304, 404, 500])} '
            f'{rng.randrange(100, 90000)} "https://device.lan/" "{rng.choice(AGENTS)}" '
            f'req={rng.getrandbits(64):016x} sid={rng.getrandbits(128):032x} '
            f'rt={rng.randrange(1, 5000)}')


def sent(agent: Agent) -> int:
    return sum(f.get("records_sent", 0) for f in agent.status()["flows"])


def agent_config(tmp: Path, stream: str, sink: str, broker_port: int = 0, http_port: int = 0,
                 compression: str = "zstd", age_ms: int = 1000) -> dict:
    cfg = {"deviceId": "bench-device", "awsAccessKeyId": "x", "awsSecretAccessKey": "x",
           "flows": [{"filePattern": str(tmp / "app*.log"), "kinesisStream": stream,
                      "sink": sink, "initialPosition": "START_OF_FILE",
                      "maxBufferAgeMillis": age_ms}]}
    if sink == "mqtt":
        cfg["mqtt.broker"] = f"tcp://127.0.0.1:{broker_port}"
        cfg["mqtt.compression"] = compression
    else:
        cfg["kinesis.endpoint"] = f"http://127.0.0.1:{http_port}"
    return cfg


def throughput(tmp: Path, lines: list[str], stream: str, make_config) -> tuple[float, int]:
    """Delivers `lines` from a file; returns (lines/s, bytes through the proxy)."""
    (tmp / "app.log").write_text("".join(ln + "\n" for ln in lines))
    cfg, proxy = make_config()
    agent = Agent(cfg)
    try:
        t0 = time.monotonic()
        agent.start()
        deadline = t0 + 600
        while sent(agent) < len(lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        delivered = sent(agent)
    finally:
        agent.cleanup()
        (tmp / "app.log").unlink()
    if delivered < len(lines):
        raise RuntimeError(f"delivered {delivered} of {len(lines)}")
    return len(lines) / elapsed, proxy.total()


def latency(tmp: Path, collector: Collector, broker: Mosquitto, seconds: float = 10.0) -> list[float]:
    client = boto3_client(collector.endpoint)
    stream = f"latency-{int(time.time() * 1000)}"
    client.create_stream(StreamName=stream, ShardCount=1)
    wait_for_status(client, stream)
    log = tmp / "app.log"
    log.write_text("")
    agent = Agent(agent_config(tmp, stream, "mqtt", broker.port, age_ms=5))
    delays: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        it = client.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000",
                                       ShardIteratorType="LATEST")["ShardIterator"]
        while not stop.is_set():
            r = client.get_records(ShardIterator=it, Limit=1000)
            now = time.time()
            for rec in r["Records"]:
                written = float(rec["Data"].split(b" ", 1)[0])
                delays.append((now - written) * 1000)
            it = r["NextShardIterator"]

    try:
        agent.start()
        time.sleep(1.0)
        t = threading.Thread(target=reader)
        t.start()
        time.sleep(0.5)
        rng = random.Random(1)
        with open(log, "a", buffering=1) as f:
            start = time.monotonic()
            for i in range(int(seconds * 1000)):
                target = start + i / 1000
                pause = target - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                f.write(f"{time.time():.6f} {log_line(rng, i)}\n")
        time.sleep(2.0)
        stop.set()
        t.join()
    finally:
        agent.cleanup()
        log.unlink()
    return delays


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def one_run(n_lines: int, tmp: Path) -> dict:
    rng = random.Random(7)
    lines = [log_line(rng, i) for i in range(n_lines)]
    with Mosquitto(extra_conf="set_tcp_nodelay true") as broker:
        with Collector("--throughput-limits=off", "--mqtt-broker", broker.uri) as collector:
            client = boto3_client(collector.endpoint)
            out: dict = {}
            for name, sink, compression in (("mqtt_zstd", "mqtt", "zstd"),
                                            ("mqtt_plain", "mqtt", "none"),
                                            ("https_json", "https", "")):
                stream = f"{name.replace('_', '-')}-{int(time.time())}"
                client.create_stream(StreamName=stream, ShardCount=4)
                wait_for_status(client, stream)
                target = broker.port if sink == "mqtt" else collector.port
                proxy = CountingProxy(target)
                proxy.start()

                def make_config(sink=sink, compression=compression, proxy=proxy, stream=stream):
                    if sink == "mqtt":
                        return agent_config(tmp, stream, sink, broker_port=proxy.port,
                                            compression=compression), proxy
                    return agent_config(tmp, stream, sink, http_port=proxy.port), proxy

                rate, wire = throughput(tmp, lines, stream, make_config)
                proxy.close()
                out[f"{name}_lines_per_s"] = rate
                out[f"{name}_bytes_per_line"] = wire / n_lines
            delays = latency(tmp, collector, broker)
            out["latency_p50_ms"] = pct(delays, 0.50)
            out["latency_p99_ms"] = pct(delays, 0.99)
            out["latency_samples"] = len(delays)
            out["line_bytes"] = statistics.mean(len(ln) + 1 for ln in lines)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    runs = []
    for r in range(a.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="trib-bench-mqtt-"))
        try:
            res = one_run(a.lines, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"[run {r + 1}] " + json.dumps({k: round(v, 1) if isinstance(v, float) else v
                                                for k, v in res.items()}), file=sys.stderr)
        runs.append(res)

    def med(k: str) -> float:
        return statistics.median(r[k] for r in runs)

    json_bytes = med("https_json_bytes_per_line")
    print(f"\nTributary MQTT benchmark, {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, "
          f"median of {len(runs)}; {a.lines} access-log lines of {med('line_bytes'):.0f} B")
    print(f"  latency write -> GetRecords p50 ms   {med('latency_p50_ms'):10.1f}")
    print(f"  latency write -> GetRecords p99 ms   {med('latency_p99_ms'):10.1f}   "
          "(target <= 50; Kinesis ~200 classic, ~70 enhanced fan-out)")
    print(f"  MQTT lines/s, zstd, durable          {med('mqtt_zstd_lines_per_s'):10,.0f}   "
          "(target >= 100,000)")
    print(f"  MQTT lines/s, no compression         {med('mqtt_plain_lines_per_s'):10,.0f}")
    print(f"  HTTPS lines/s, same agent            {med('https_json_lines_per_s'):10,.0f}   (peer)")
    for name, label in (("mqtt_zstd", "MQTT binary + zstd"), ("mqtt_plain", "MQTT binary"),
                        ("https_json", "HTTPS JSON")):
        b = med(f"{name}_bytes_per_line")
        print(f"  wire bytes/line, {label:<19} {b:10.1f}   ({b / json_bytes:.2f} x JSON)")
    print("  (target: MQTT + zstd <= 0.5 x JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
