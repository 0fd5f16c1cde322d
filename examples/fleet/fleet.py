#!/usr/bin/env python3
"""A simulated fleet on loopback: N tributary-agents, each with its own device id, certificate,
spool and log writer, ship through one Mosquitto (examples/mosquitto's config: mutual TLS, the
CN as username, the ACL) into one tributary-collector. After the run the whole stream is read
back and every device's lines are counted: written, stored, missing, duplicated, out of order,
and the lag from write to arrival.

Run it through run.sh, which finds the binaries, owns the work directory and removes it and every
process this script started, whatever happens. This script never deletes anything: it stops its
processes (SIGTERM, then SIGKILL) and leaves the directory to run.sh, so --keep keeps the logs.

The processes are started with the integration suites' own helpers (tests/integration/
harness.py's Collector and Agent, test_mosquitto_example.py's Broker and make_certs), so the
example and the tests start them the same way, and the broker config it runs is the one a test
checks is the shipped file with only paths and port changed.

Exit status: 0 when every line was stored exactly once and in order within its shard, 1 when
not, 2 for bad arguments or a failure to start, 128+N after signal N.
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from harness import Agent, Collector, ServerError  # noqa: E402
from test_mosquitto_example import Broker, Identity, make_certs  # noqa: E402

STREAM = "fleet"
BATCH_AGE_MS = 500          # agents send at most this long after a batch's first line
LINES_PER_SHARD_S = 500     # half a shard's 1,000 records/s limit: headroom for bursts
DRAIN_TIMEOUT_S = 60.0      # after the writers stop, the agents get this long to deliver
READ_TIMEOUT_S = 60.0
ISO_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"
LINE = re.compile(rb"^\S+ (?P<device>\S+) seq=(?P<seq>\d+) ts=(?P<ts>\d+\.\d+) ")


class Interrupted(BaseException):
    """A signal asked us to stop; raised once, so cleanup runs undisturbed by later signals."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def on_signal(signum: int, _frame) -> None:
    # run.sh forwards SIGTERM on Ctrl-C while the terminal sends SIGINT too: raise only once.
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


class LogWriter(threading.Thread):
    """One device's application: appends `rate` lines per second to app.log, each with its
    sequence number and the wall-clock time it was written, and renames app.log to app.log.1
    at `rotate_after` seconds, as logrotate's default (create) mode does."""

    def __init__(self, device: str, directory: Path, rate: int, rotate_after: float) -> None:
        super().__init__(name=f"writer-{device}", daemon=True)
        self.device, self.dir, self.rate, self.rotate_after = device, directory, rate, rotate_after
        self.written = 0
        self.rotated = False
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._write()
        except BaseException as e:  # reported by finish(); a thread cannot raise to main
            self.error = e

    def _write(self) -> None:
        path = self.dir / "app.log"
        f = open(path, "a")
        start = time.monotonic()
        try:
            while not self.stop_event.is_set():
                elapsed = time.monotonic() - start
                if not self.rotated and elapsed >= self.rotate_after:
                    f.close()
                    os.rename(path, self.dir / "app.log.1")
                    f = open(path, "a")
                    self.rotated = True
                due = int(elapsed * self.rate)
                if due > self.written:
                    now = time.time()
                    stamp = datetime.fromtimestamp(now, timezone.utc).strftime(ISO_UTC)
                    f.write("".join(
                        f"{stamp} {self.device} seq={n} ts={now:.6f} level=INFO "
                        f"sensor=temp value={20 + n % 50 / 10:.1f} msg=\"periodic reading\"\n"
                        for n in range(self.written + 1, due + 1)))
                    f.flush()  # the line's timestamp is when the agent can first see it
                    self.written = due
                self.stop_event.wait(0.02)
        finally:
            f.close()

    def finish(self) -> int:
        self.stop_event.set()
        self.join()
        if self.error:
            raise RuntimeError(f"log writer of {self.device} failed: {self.error}")
        return self.written


@dataclass
class Device:
    name: str
    agent: Agent
    writer: LogWriter
    cpu_start: float = 0.0
    started: float = 0.0
    memory: tuple[float, float] = (0.0, 0.0)   # RSS and private memory, MiB
    cpu_percent: float = 0.0


# --------------------------------------------------------------------------------------------
# /proc


def rss_and_private_mib(pid: int) -> tuple[float, float]:
    """VmRSS, and the private part of it (what the process costs beyond shared libraries)."""
    rss = private = 0
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                rss = int(ln.split()[1])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for ln in f:
            if ln.startswith(("Private_Clean:", "Private_Dirty:")):
                private += int(ln.split()[1])
    return rss / 1024, private / 1024


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# --------------------------------------------------------------------------------------------
# The fleet


class Fleet:
    """The broker, the collector and the devices of one run, in the main thread only.

    start() brings them up in dependency order, run() writes and drains, stop() ends every
    process it started, whichever step failed; nothing is deleted (run.sh owns the work dir).
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work)
        self.pids = self.work / "pids"
        self.broker: Broker | None = None
        self.collector: Collector | None = None
        self.devices: list[Device] = []
        self.first_write = 0.0

    # -- start ---------------------------------------------------------------------------

    def record_pid(self, proc, what: str) -> None:
        # run.sh stops whatever is listed here and still running, should this script die first.
        with open(self.pids, "a") as f:
            f.write(f"{proc.pid} {what}\n")

    def start(self) -> None:
        a = self.args
        names = [f"pi-{i:03d}" for i in range(1, a.devices + 1)]
        pki = self.work / "pki"
        print(f"== PKI for {len(names)} devices (examples/mosquitto/make-certs.sh)", flush=True)
        done = make_certs(pki, *names)
        if done.returncode != 0:
            raise ServerError(f"make-certs.sh failed:\n{done.stderr}")

        self.broker = Broker(pki)
        self.broker.start()
        self.record_pid(self.broker.proc, "mosquitto")
        uri = f"ssl://127.0.0.1:{self.broker.port}"
        print(f"== Mosquitto (examples/mosquitto/mosquitto.conf, mutual TLS) on {uri}", flush=True)

        me = Identity.collector(pki)
        self.collector = Collector("--mqtt-broker", uri, "--mqtt-ca-file", str(me.ca),
                                   "--mqtt-cert-file", str(me.cert),
                                   "--mqtt-key-file", str(me.key), binary=a.collector)
        self.collector.start()
        self.record_pid(self.collector.proc, "collector")
        self.wait_for_mqtt_ingest()
        shards = max(2, math.ceil(a.devices * a.rate / LINES_PER_SHARD_S))
        client = kinesis(self.collector.endpoint)
        client.create_stream(StreamName=STREAM, ShardCount=shards)
        client.get_waiter("stream_exists").wait(StreamName=STREAM,
                                               WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        print(f"== collector on {self.collector.endpoint}, MQTT ingest subscribed; "
              f"stream {STREAM!r} with {shards} shards", flush=True)

        for name in names:
            who = Identity.device(pki, name)
            log_dir = self.work / "logs" / name
            log_dir.mkdir(parents=True)
            agent = Agent({
                "deviceId": name,
                "mqtt.broker": uri,
                "mqtt.caFile": str(who.ca),
                "mqtt.certFile": str(who.cert),
                "mqtt.keyFile": str(who.key),
                # After a drain nothing is in flight; after Ctrl-C the terminal has stopped the
                # broker too, and the default 10 s would only delay the exit.
                "shutdownTimeoutMillis": 2000,
                "flows": [{"filePattern": str(log_dir / "app.log*"), "kinesisStream": STREAM,
                           "sink": "mqtt", "initialPosition": "START_OF_FILE",
                           "maxBufferAgeMillis": BATCH_AGE_MS}],
            }, binary=a.agent)
            device = Device(name, agent, LogWriter(name, log_dir, a.rate, a.duration / 2))
            self.devices.append(device)  # before start(): stop() must see a half-started agent
            agent.start()
            self.record_pid(agent.proc, f"agent {name}")
            device.started, device.cpu_start = time.monotonic(), cpu_seconds(agent.proc.pid)
        print(f"== {len(names)} agents ({names[0]} .. {names[-1]}), each with its certificate, "
              f"spool and log writer at {a.rate} lines/s", flush=True)

    def wait_for_mqtt_ingest(self, timeout: float = 20.0) -> None:
        # Requests published before the collector's shared subscription exists would go nowhere
        # and be resent only after the agent's answer timeout (30 s): wait for it.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(r"^tributary_mqtt_connected 1$", self.collector.metrics(), re.M):
                return
            time.sleep(0.1)
        self.collector.print_tail()
        raise ServerError(f"the collector did not subscribe at the broker within {timeout:.0f} s")

    # -- run -----------------------------------------------------------------------------

    def agent_totals(self) -> tuple[int, int, int]:
        """(agents answering, records delivered, records in spools) from every agent's /status."""
        up = sent = spooled = 0
        for d in self.devices:
            try:
                flow = d.agent.status()["flows"][0]
            except Exception:  # a probe: an agent that does not answer counts as down
                continue
            up += 1
            sent += flow["records_sent"]
            spooled += flow["spool_records"]
        return up, sent, spooled

    def progress(self, elapsed: float, what: str) -> None:
        written = sum(d.writer.written for d in self.devices)
        up, sent, spooled = self.agent_totals()
        print(f"[{elapsed:5.1f} s] {what:8} written {written:>9,}  delivered {sent:>9,}  "
              f"in spools {spooled:>7,}  agents up {up}/{len(self.devices)}", flush=True)

    def run(self) -> float:
        """Writes for --duration seconds, then lets the agents drain; returns the write time."""
        a = self.args
        every = 5.0 if a.duration >= 20 else 2.0
        start = time.monotonic()
        self.first_write = time.time()
        for d in self.devices:
            d.writer.start()
        next_report = start + every
        while (now := time.monotonic()) < start + a.duration:
            time.sleep(min(next_report, start + a.duration) - now)
            if time.monotonic() >= next_report:
                self.progress(time.monotonic() - start, "running")
                next_report += every
        for d in self.devices:
            d.writer.finish()
        wrote_for = time.monotonic() - start
        written = sum(d.writer.written for d in self.devices)
        print(f"== writers stopped after {wrote_for:.1f} s; waiting up to "
              f"{DRAIN_TIMEOUT_S:.0f} s for the agents to deliver {written:,} lines", flush=True)

        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        next_report = time.monotonic() + every
        while time.monotonic() < deadline:
            if all(self.delivered_all(d) for d in self.devices):
                break
            if time.monotonic() >= next_report:
                self.progress(time.monotonic() - start, "draining")
                next_report += every
            time.sleep(0.1)
        self.progress(time.monotonic() - start, "drained" if all(
            self.delivered_all(d) for d in self.devices) else "TIMEOUT")
        for d in self.devices:  # before anything stops: what a running agent costs
            if d.agent.proc.poll() is None:
                d.memory = rss_and_private_mib(d.agent.proc.pid)
                d.cpu_percent = 100 * ((cpu_seconds(d.agent.proc.pid) - d.cpu_start)
                                       / (time.monotonic() - d.started))
        return wrote_for

    @staticmethod
    def delivered_all(d: Device) -> bool:
        try:
            flow = d.agent.status()["flows"][0]
        except Exception:  # not answering yet: keep waiting, the deadline bounds it
            return False
        return flow["records_sent"] >= d.writer.written and flow["spool_records"] == 0

    # -- stop ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Agents first (they finish what is in flight), then the collector, then the broker.
        Every stop is SIGTERM, then SIGKILL after harness.py's grace period."""
        servers = [d.agent for d in self.devices] + [self.collector, self.broker]
        for s in servers:
            if s is not None and s.proc is not None and s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)  # all at once; the waits below overlap
        for s in servers:
            if s is not None:
                s.stop()
                # The helpers delete their directories at exit; run.sh owns the work dir here
                # (and keeps it with --keep).
                atexit.unregister(s.cleanup)
        for d in self.devices:
            d.writer.stop_event.set()

    def log_paths(self) -> list[str]:
        out = []
        if self.broker:
            out.append(f"mosquitto  {self.broker.log_path}")
        if self.collector:
            out.append(f"collector  {self.collector.log_path}")
        out += [f"{d.name:10} {d.agent.log_path}  (spool and agent.json beside it)"
                for d in self.devices]
        out.append(f"app logs   {self.work / 'logs'}/<device>/app.log*")
        return out


# --------------------------------------------------------------------------------------------
# Reading back and counting


def kinesis(endpoint: str):
    """boto3 with standard retries: GetRecords is throttled at 5 calls/s per shard, as on AWS."""
    import boto3
    from botocore.config import Config

    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="fleet", aws_secret_access_key="fleet",
                        config=Config(retries={"mode": "standard", "max_attempts": 10}))


def read_everything(endpoint: str) -> list[tuple[str, bytes, float]]:
    """(shard id, data, arrival time) of every record, each shard from TRIM_HORIZON in order."""
    client = kinesis(endpoint)
    out = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        it = client.get_shard_iterator(StreamName=STREAM, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it and time.monotonic() < deadline:
            resp = client.get_records(ShardIterator=it, Limit=10000)
            out.extend((shard["ShardId"], r["Data"], r["ApproximateArrivalTimestamp"].timestamp())
                       for r in resp["Records"])
            if not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
                break
            it = resp.get("NextShardIterator")
    return out


@dataclass
class Count:
    written: int = 0
    stored: int = 0
    missing: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    lags_ms: list[float] = field(default_factory=list)


def count(devices: list[Device], records: list[tuple[str, bytes, float]]) -> tuple[dict, int]:
    """Per device: the Count; and the number of records that are no device's line."""
    counts = {d.name: Count(written=d.writer.written) for d in devices}
    seen: dict[str, set[int]] = {name: set() for name in counts}
    last: dict[tuple[str, str], int] = {}   # (shard, device) -> last sequence number seen
    unexpected = 0
    for shard, data, arrival in records:
        m = LINE.match(data)
        device = m and m["device"].decode()
        if device not in counts:
            unexpected += 1
            continue
        c, seq = counts[device], int(m["seq"])
        c.stored += 1
        if seq in seen[device]:
            c.duplicates += 1
            continue
        seen[device].add(seq)
        # Kinesis orders records within a shard only; the agent keeps file order per shard.
        if seq < last.get((shard, device), 0):
            c.out_of_order += 1
        last[(shard, device)] = seq
        c.lags_ms.append((arrival - float(m["ts"])) * 1000)
    for name, c in counts.items():
        c.missing = sum(1 for n in range(1, c.written + 1) if n not in seen[name])
    return counts, unexpected


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def print_table(devices: list[Device], counts: dict, wrote_for: float, first_write: float,
                records: list[tuple[str, bytes, float]]) -> None:
    header = (f"{'device':10} {'written':>9} {'stored':>9} {'missing':>8} {'dups':>6} "
              f"{'order':>6} {'p50_ms':>8} {'p99_ms':>8} {'max_ms':>8} {'rss_MiB':>8} "
              f"{'priv_MiB':>9} {'cpu_%':>6}")
    print(header)
    print("-" * len(header))

    def row(name: str, c: Count, rss: float, priv: float, cpu: float) -> None:
        print(f"{name:10} {c.written:>9,} {c.stored:>9,} {c.missing:>8,} {c.duplicates:>6,} "
              f"{c.out_of_order:>6,} {percentile(c.lags_ms, 50):>8.0f} "
              f"{percentile(c.lags_ms, 99):>8.0f} {max(c.lags_ms, default=float('nan')):>8.0f} "
              f"{rss:>8.1f} {priv:>9.1f} {cpu:>6.1f}")

    total = Count()
    for d in devices:
        c = counts[d.name]
        row(d.name, c, d.memory[0], d.memory[1], d.cpu_percent)
        for f in ("written", "stored", "missing", "duplicates", "out_of_order"):
            setattr(total, f, getattr(total, f) + getattr(c, f))
        total.lags_ms += c.lags_ms
    print("-" * len(header))
    # Summed RSS counts the shared libraries once per agent; the private column adds up.
    row("fleet", total, sum(d.memory[0] for d in devices), sum(d.memory[1] for d in devices),
        sum(d.cpu_percent for d in devices))
    last_arrival = max((r[2] for r in records), default=first_write)
    n = len(devices)
    print(f"\nfleet: {total.written:,} lines written by {n} device{'s' * (n != 1)} in "
          f"{wrote_for:.1f} s = {total.written / wrote_for:,.0f} lines/s")
    print(f"       {total.stored:,} records stored, the last "
          f"{max(0.0, last_arrival - (first_write + wrote_for)):.2f} s after the writers stopped: "
          f"{total.stored / max(last_arrival - first_write, 1e-9):,.0f} lines/s end to end")
    print("lag: ApproximateArrivalTimestamp minus the write time in the line. Memory and CPU:\n"
          "each agent from /proc at the end of the run (cpu_% of one core; the fleet row sums)")


def server_memory(fleet: Fleet) -> str:
    parts = []
    for name, s in (("collector", fleet.collector), ("mosquitto", fleet.broker)):
        if s and s.proc and s.proc.poll() is None:
            rss, priv = rss_and_private_mib(s.proc.pid)
            parts.append(f"{name} RSS {rss:.1f} MiB (private {priv:.1f})")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Run through run.sh, which owns --work.")
    p.add_argument("--work", required=True, help="an empty directory run.sh made and removes")
    p.add_argument("--agent", required=True)
    p.add_argument("--collector", required=True)
    p.add_argument("--devices", type=int, default=8)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--keep", action="store_true", help="say where the logs are at the end")
    args = p.parse_args(argv)
    if not (1 <= args.devices <= 999 and 1 <= args.duration <= 86400 and 1 <= args.rate):
        p.error("--devices 1..999, --duration 1..86400, --rate >= 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    # Every helper makes its directory with tempfile.mkdtemp: put them all in the work dir.
    tempfile.tempdir = args.work
    fleet = Fleet(args)
    try:
        fleet.start()
        wrote_for = fleet.run()
        print(f"== reading stream {STREAM!r} back (GetRecords on every shard from TRIM_HORIZON)",
              flush=True)
        records = read_everything(fleet.collector.endpoint)
        servers = server_memory(fleet)
        counts, unexpected = count(fleet.devices, records)
        print()
        print_table(fleet.devices, counts, wrote_for, fleet.first_write, records)
        if servers:
            print(servers)
        bad = {k: sum(getattr(c, k) for c in counts.values())
               for k in ("missing", "duplicates", "out_of_order")}
        bad["unexpected"] = unexpected
        if any(bad.values()):
            print("RESULT: FAILED: " + ", ".join(f"{k} {v}" for k, v in bad.items() if v))
            return 1
        print("RESULT: ok: every line stored exactly once, in order within its shard")
        return 0
    except Interrupted as e:
        print(f"\n== interrupted ({e}): stopping the fleet", file=sys.stderr, flush=True)
        return 128 + e.signum
    except (ServerError, AssertionError, RuntimeError, OSError) as e:
        print(f"fleet.py: {e}", file=sys.stderr)
        return 2
    except Exception:  # a boto3 error, say: the whole story, and not 1 ("lines were lost")
        traceback.print_exc()
        return 2
    finally:
        # Nothing may interrupt the stopping; run.sh SIGKILLs us if it takes too long.
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        fleet.stop()
        if args.keep:
            print("== logs:\n   " + "\n   ".join(fleet.log_paths()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
