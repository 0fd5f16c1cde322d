#!/usr/bin/env python3
"""bench/bench_agent.py: the agent's delivery rate, CPU and memory, beside the collector's own
ingest rate for the same records (the limit the agent ships into).

    tail (a file written as fast as possible) → SINGLELINE → durable spool → HTTPS → collector

Prints lines/s and MB/s delivered (acknowledged by the collector, per the agent's /status),
agent CPU %, agent private memory (RssAnon) idle and peak, write→acknowledged latency at a low
rate, and bench_put_load's records/s for 200-byte records against the same collector. Every
process listens on 127.0.0.1 and is stopped at the end; the temporary directory is removed.

    bench/bench_agent.py [--lines 2000000] [--line-bytes 200] [--repeat 3]
    env: TRIB_COLLECTOR, TRIB_AGENT, BUILD_DIR (default build)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from harness import Agent, Collector, boto3_client, wait_for_status  # noqa: E402

BUILD = Path(os.environ.get("BUILD_DIR", ROOT / "build"))


def proc_stat(pid: int) -> tuple[float, int]:
    """(CPU seconds used, RssAnon KiB)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / hz
    rss = 0
    for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ln.startswith("RssAnon:"):
            rss = int(ln.split()[1])
    return cpu, rss


def sent(agent: Agent) -> int:
    return sum(f.get("records_sent", 0) for f in agent.status()["flows"])


def one_run(lines: int, line_bytes: int, tmp: Path) -> dict:
    with Collector("--throughput-limits=off") as collector:
        client = boto3_client(collector.endpoint)
        client.create_stream(StreamName="bench", ShardCount=4)
        wait_for_status(client, "bench")
        log = tmp / "app.log"
        log.write_bytes(b"")
        flow = {"filePattern": str(tmp / "app*.log"), "kinesisStream": "bench",
                "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000,
                "dataProcessingOptions": [{"optionName": "SINGLELINE"}]}
        agent = Agent({"kinesis.endpoint": collector.endpoint, "awsAccessKeyId": "x",
                       "awsSecretAccessKey": "x", "flows": [flow]})
        try:
            agent.start()
            pid = agent.proc.pid
            time.sleep(2)
            cpu0, idle_rss = proc_stat(pid)
            time.sleep(5)
            cpu1, _ = proc_stat(pid)
            idle_cpu_pct = (cpu1 - cpu0) / 5 * 100

            # Latency: 200 lines, one every 5 ms; time until all are acknowledged.
            lat = []
            base = sent(agent)
            with open(log, "ab", buffering=0) as f:
                for i in range(5):
                    t0 = time.monotonic()
                    for j in range(100):
                        f.write(f"lat-{i}-{j:04d} ".encode() + b"l" * (line_bytes - 16) + b"\n")
                    target = base + 100 * (i + 1)
                    while sent(agent) < target:
                        time.sleep(0.005)
                    lat.append((time.monotonic() - t0) * 1000)
            base = sent(agent)

            # Throughput: write `lines` as fast as possible, in 1 MB chunks.
            body = b"t" * (line_bytes - 14)
            chunk = b"".join(b"%012d " % i + body + b"\n" for i in range(5000))
            peak_rss = 0
            c0, _ = proc_stat(pid)
            t0 = time.monotonic()
            written = 0
            with open(log, "ab", buffering=0) as f:
                while written < lines:
                    f.write(chunk)
                    written += 5000
                    if written % 100000 == 0:
                        peak_rss = max(peak_rss, proc_stat(pid)[1])
            t_written = time.monotonic() - t0
            deadline = time.monotonic() + 600
            while sent(agent) < base + written and time.monotonic() < deadline:
                peak_rss = max(peak_rss, proc_stat(pid)[1])
                time.sleep(0.05)
            elapsed = time.monotonic() - t0
            c1, _ = proc_stat(pid)
            delivered = sent(agent) - base
            time.sleep(3)
            _, idle_after = proc_stat(pid)
        finally:
            agent.cleanup()

        # The limit: the collector's own ingest of the same records, raw PutRecords.
        put = subprocess.run(
            [str(BUILD / "bench" / "bench_put_load"), "--endpoint", f"127.0.0.1:{collector.port}",
             "--stream", "limit", "--shards", "4", "--seconds", "5", "--record-bytes",
             str(line_bytes), "--connections", "4"],
            capture_output=True, text=True, timeout=120)
        limit = 0.0
        for ln in put.stdout.splitlines():
            if ln.startswith("RESULT"):
                kv = dict(p.split("=", 1) for p in ln.split()[1:])
                limit = float(kv["records_per_s"])
    return {"lines_per_s": delivered / elapsed, "mb_per_s": delivered * line_bytes / elapsed / 1e6,
            "write_s": t_written, "elapsed_s": elapsed, "delivered": delivered, "written": written,
            "cpu_pct": (c1 - c0) / elapsed * 100, "rss_idle_kib": idle_rss,
            "rss_peak_kib": peak_rss, "rss_after_kib": idle_after, "idle_cpu_pct": idle_cpu_pct,
            "latency_ms_p50": statistics.median(lat), "latency_ms_max": max(lat),
            "collector_limit_rps": limit}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--line-bytes", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    runs = []
    for r in range(a.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="trib-bench-agent-"))
        try:
            res = one_run(a.lines, a.line_bytes, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"[run {r + 1}] " + json.dumps({k: round(v, 1) if isinstance(v, float) else v
                                                for k, v in res.items()}), file=sys.stderr)
        runs.append(res)

    def med(k: str) -> float:
        return statistics.median(r[k] for r in runs)

    print(f"\nTributary agent benchmark, {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, "
          f"{os.cpu_count()} cores, median of {len(runs)}")
    print(f"  {a.lines} lines of {a.line_bytes} B: tail -> SINGLELINE -> durable spool -> HTTPS "
          "-> collector (4 shards, durable)")
    print(f"  delivered lines/s        {med('lines_per_s'):12,.0f}   (target >= 250,000)")
    print(f"  delivered MB/s           {med('mb_per_s'):12.1f}")
    print(f"  collector alone rec/s    {med('collector_limit_rps'):12,.0f}   "
          f"(bench_put_load, {a.line_bytes} B records, 4 connections)")
    print(f"  agent / collector alone  {med('lines_per_s') / max(med('collector_limit_rps'), 1):12.2f}")
    print(f"  agent CPU % (of 1 core)  {med('cpu_pct'):12.0f}")
    print(f"  agent RssAnon idle KiB   {med('rss_idle_kib'):12,.0f}   (target <= 8 MiB)")
    print(f"  agent RssAnon peak KiB   {med('rss_peak_kib'):12,.0f}   (target <= 16 MiB at 50k lines/s)")
    print(f"  agent RssAnon after KiB  {med('rss_after_kib'):12,.0f}")
    print(f"  agent idle CPU %         {med('idle_cpu_pct'):12.2f}   (target < 1 %)")
    print(f"  write -> ack p50 ms      {med('latency_ms_p50'):12.0f}   (100 lines, maxBufferAgeMillis 1000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
