#!/usr/bin/env python3
"""bench/device_footprint.py: what the agent costs a device, idle and tailing 1,000 lines/s.

For each agent given (the native build, and/or a cross build run under qemu-user), starts a
native collector and the agent on 127.0.0.1, then measures two states of `--seconds` each:

    idle   the agent follows an existing (quiet) log file
    load   a writer appends `--rate` lines/s of `--line-bytes` to it (paced every 10 ms)

and prints per state: CPU % of one core (utime+stime over the state, /proc/PID/stat), private
memory at the end of the state (RssAnon from /proc/PID/status; Pss and Pss_Anon from
/proc/PID/smaps_rollup), and the lines the collector acknowledged (the agent's /status) against
those written, so a stalled agent cannot pass for a frugal one.

Under qemu-user the measured process is qemu itself: the guest's memory and qemu's own (its
translation cache, its heap) are one process, so the memory figures are an upper bound for the
device, and CPU % is the emulator's (translated code on an x86 core), meaningless for an ARM
CPU. Compare memory to the native row; take CPU from the native row (or a real device).

    bench/device_footprint.py                                   # native build/agent only
    bench/device_footprint.py --cross build-aarch64/agent/tributary-agent \
                              --cross build-armhf/agent/tributary-agent    # + both under qemu
    options: --seconds 20 --rate 1000 --line-bytes 200 --emulator "qemu-arm-static -L DIR"
    env: TRIB_COLLECTOR, TRIB_AGENT (defaults under build/)
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from harness import (Agent, Collector, agent_binary, boto3_client, collector_binary,  # noqa: E402
                     wait_for_status)

QEMU_BY_MACHINE = {183: "qemu-aarch64-static", 40: "qemu-arm-static"}  # ELF e_machine


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in ("status", "smaps_rollup"):
        for ln in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, rest = ln.partition(":")
            if key in ("RssAnon", "VmHWM", "Pss", "Pss_Anon") and rest.strip().endswith("kB"):
                out[key] = int(rest.split()[0])
    return out


def acknowledged(agent: Agent) -> int:
    return sum(f.get("records_sent", 0) for f in agent.status()["flows"])


class Writer(threading.Thread):
    """Appends `rate` lines/s to `path`, in 10 ms steps, until stopped."""

    def __init__(self, path: Path, rate: int, line_bytes: int) -> None:
        super().__init__(daemon=True)
        self.path, self.rate, self.filler = path, rate, "x" * max(line_bytes - 20, 1)
        self.written = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        with open(self.path, "a", buffering=1 << 16) as f:
            while not self.stop_event.is_set():
                due = int((time.monotonic() - start) * self.rate)
                while self.written < due:
                    f.write(f"line-{self.written:012d} {self.filler}\n")
                    self.written += 1
                f.flush()
                time.sleep(0.01)


def measure(label: str, binary: Path, prefix: list[str], args) -> list[dict]:
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="trib-footprint-"))
    try:
        with Collector("--throughput-limits=off", binary=args.collector) as collector:
            client = boto3_client(collector.endpoint)
            client.create_stream(StreamName="device", ShardCount=1)
            wait_for_status(client, "device")
            log = tmp / "app.log"
            log.write_text("before start\n")
            config = {"kinesis.endpoint": collector.endpoint, "awsAccessKeyId": "x",
                      "awsSecretAccessKey": "x",
                      "flows": [{"filePattern": str(tmp / "app*.log"), "kinesisStream": "device",
                                 "initialPosition": "END_OF_FILE", "maxBufferAgeMillis": 1000}]}
            agent = Agent(config, binary=binary, prefix=prefix)
            with agent:
                pid = agent.proc.pid
                time.sleep(2)  # past start-up
                for state in ("idle", "load"):
                    writer = Writer(log, args.rate, args.line_bytes) if state == "load" else None
                    before_ack = acknowledged(agent)
                    c0, t0 = cpu_seconds(pid), time.monotonic()
                    if writer:
                        writer.start()
                    time.sleep(args.seconds)
                    c1, t1 = cpu_seconds(pid), time.monotonic()
                    mem = memory_kib(pid)
                    written = 0
                    if writer:
                        writer.stop_event.set()
                        writer.join()
                        written = writer.written
                        deadline = time.monotonic() + 30
                        while acknowledged(agent) - before_ack < written and \
                                time.monotonic() < deadline:
                            time.sleep(0.2)
                    rows.append({"agent": label, "state": state,
                                 "cpu": 100 * (c1 - c0) / (t1 - t0), **mem,
                                 "written": written,
                                 "acked": acknowledged(agent) - before_ack})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def armhf_sysroot() -> Path:
    """As cmake/toolchains/arm-linux-gnueabihf.cmake finds it."""
    if os.environ.get("TRIB_SYSROOT"):
        return Path(os.environ["TRIB_SYSROOT"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tributary" / "sysroot-armhf"


def elf_machine(path: Path) -> int:
    head = path.read_bytes()[:20]
    return int.from_bytes(head[18:20], "little") if head[:4] == b"\x7fELF" else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agent", type=Path, default=agent_binary(), help="native agent")
    ap.add_argument("--collector", type=Path, default=collector_binary())
    ap.add_argument("--no-native", action="store_true", help="measure only --cross")
    ap.add_argument("--cross", type=Path, action="append", default=[],
                    help="a cross-built agent, run under --emulator (may be repeated)")
    ap.add_argument("--emulator", help="default from the ELF header: qemu-aarch64-static, or "
                                       "qemu-arm-static -L the armhf sysroot")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate", type=int, default=1000, help="lines/s in the load state")
    ap.add_argument("--line-bytes", type=int, default=200)
    args = ap.parse_args()
    # The servers run in their own temporary directories: relative paths would not resolve.
    args.agent, args.collector = args.agent.resolve(), args.collector.resolve()
    args.cross = [c.resolve() for c in args.cross]

    rows = []
    if not args.no_native:
        rows += measure("native", args.agent, [], args)
    for cross in args.cross:
        if args.emulator:
            prefix = shlex.split(args.emulator)
        else:
            prefix = [QEMU_BY_MACHINE[elf_machine(cross)]]
            if prefix[0] == "qemu-arm-static":
                prefix += ["-L", str(armhf_sysroot())]
        rows += measure(f"{Path(prefix[0]).name}", cross, prefix, args)

    print(f"\n{args.seconds:.0f} s per state, load = {args.rate} lines/s of {args.line_bytes} B; "
          "memory in MiB at the end of the state; under qemu CPU % is the emulator's")
    head = f"{'agent':<22} {'state':<5} {'CPU %':>6} {'RssAnon':>8} {'Pss':>7} {'Pss_Anon':>8} " \
           f"{'VmHWM':>7} {'written':>8} {'acked':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        mib = lambda k: f"{r.get(k, 0) / 1024:.1f}"  # noqa: E731
        print(f"{r['agent']:<22} {r['state']:<5} {r['cpu']:>6.1f} {mib('RssAnon'):>8} "
              f"{mib('Pss'):>7} {mib('Pss_Anon'):>8} {mib('VmHWM'):>7} {r['written']:>8} "
              f"{r['acked']:>8}")
    short = [r for r in rows if r["acked"] < r["written"]]
    if short:
        print("NOT ALL LINES ACKNOWLEDGED: " + ", ".join(f"{r['agent']} {r['state']}"
                                                         for r in short))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
