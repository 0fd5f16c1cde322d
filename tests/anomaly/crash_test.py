"""Crash test: kill -9 the collector at random points during sustained PutRecords from several
clients, restart it, and verify that every acknowledged record is readable, in order, with the
sequence number it was acknowledged with, exactly once. Several cycles on one data directory.

A record counts as acknowledged only when its PutRecords reply (HTTP 200, no ErrorCode for it)
reached the client. Requests cut off by the kill may or may not have been stored; each was sent
once, so each unacknowledged record may appear at most once too.

Environment: TRIB_COLLECTOR (binary), TRIB_CRASH_CYCLES (default 5), TRIB_CRASH_SEED.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import Collector  # noqa: E402

CLIENTS = 4
BATCH = 50
SHARDS = 4


def call(port: int, op: str, body: dict, timeout: float = 10.0) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202." + op})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else {})
    finally:
        conn.close()


class Producer(threading.Thread):
    """Puts batches of uniquely named records until stopped or the server goes away."""

    def __init__(self, port: int, stream: str, client: int, cycle: int, acked: dict) -> None:
        super().__init__(daemon=True)
        self.port, self.stream, self.client, self.cycle, self.acked = port, stream, client, cycle, acked
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            names = [f"c{self.cycle}-p{self.client}-r{n + i}" for i in range(BATCH)]
            n += BATCH
            records = [{"PartitionKey": f"pk{self.client}-{i % 7}",
                        "Data": base64.b64encode(name.encode()).decode()} for i, name in
                       enumerate(names)]
            try:
                status, out = call(self.port, "PutRecords",
                                   {"StreamName": self.stream, "Records": records}, timeout=5)
            except OSError:
                return  # the server was killed mid-request: nothing of this batch is acked
            self.sent += BATCH
            if status != 200:
                continue
            for name, r in zip(names, out["Records"]):
                if "SequenceNumber" in r:
                    self.acked[name] = (r["ShardId"], r["SequenceNumber"])


def read_everything(port: int, stream: str) -> dict[str, list[tuple[str, str]]]:
    """shard id -> [(sequence number, data)] in the order GetRecords returns them."""
    _, shards = call(port, "ListShards", {"StreamName": stream})
    out = {}
    for shard in shards["Shards"]:
        sid = shard["ShardId"]
        _, it = call(port, "GetShardIterator", {"StreamName": stream, "ShardId": sid,
                                                "ShardIteratorType": "TRIM_HORIZON"})
        iterator, got = it["ShardIterator"], []
        for _ in range(10_000):
            _, page = call(port, "GetRecords", {"ShardIterator": iterator, "Limit": 10000})
            got += [(r["SequenceNumber"], base64.b64decode(r["Data"]).decode())
                    for r in page["Records"]]
            iterator = page.get("NextShardIterator")
            if not page["Records"] or not iterator:
                break
        out[sid] = got
    return out


class CrashTest(unittest.TestCase):
    def test_acknowledged_records_survive_kill9(self) -> None:
        cycles = int(os.environ.get("TRIB_CRASH_CYCLES", "5"))
        seed = int(os.environ.get("TRIB_CRASH_SEED", str(int(time.time()))))
        rng = random.Random(seed)
        print(f"crash test: seed {seed}, {cycles} cycles", flush=True)
        acked: dict[str, tuple[str, str]] = {}
        stream = "crash"
        with Collector("--throughput-limits=off") as server:
            status, _ = call(server.port, "CreateStream", {"StreamName": stream, "ShardCount": SHARDS})
            self.assertEqual(status, 200)
            for cycle in range(cycles):
                producers = [Producer(server.port, stream, c, cycle, acked) for c in range(CLIENTS)]
                for p in producers:
                    p.start()
                time.sleep(rng.uniform(0.2, 1.5))
                server.kill9()
                for p in producers:
                    p.stop.set()
                    p.join(timeout=10)
                sent = sum(p.sent for p in producers)
                server.restart()
                self.verify(server.port, stream, acked)
                print(f"cycle {cycle}: {len(acked)} acknowledged so far, {sent} sent this cycle",
                      flush=True)
            self.assertGreater(len(acked), 0, "no record was ever acknowledged")

    def verify(self, port: int, stream: str, acked: dict[str, tuple[str, str]]) -> None:
        stored = read_everything(port, stream)
        where: dict[str, tuple[str, str]] = {}
        for sid, records in stored.items():
            seqs = [int(s) for s, _ in records]
            self.assertEqual(seqs, sorted(seqs), f"{sid}: sequence numbers out of order")
            self.assertEqual(len(set(seqs)), len(seqs), f"{sid}: a sequence number repeats")
            for seq, data in records:
                self.assertNotIn(data, where, f"record {data} stored twice")
                where[data] = (sid, seq)
        for name, (sid, seq) in acked.items():
            self.assertIn(name, where, f"acknowledged record {name} is lost")
            self.assertEqual(where[name], (sid, seq),
                             f"{name} acknowledged as {sid}/{seq}, stored as {where[name]}")
        # Per producer, acknowledged records keep their put order within each shard.
        by_source: dict[tuple[str, str], list[int]] = {}
        for name, (sid, seq) in acked.items():
            cycle_client = name.rsplit("-r", 1)[0]
            by_source.setdefault((cycle_client, sid), []).append(int(seq))
        for key, seqs in by_source.items():
            order = [int(where[n][1]) for n in sorted(
                (n for n in acked if n.rsplit("-r", 1)[0] == key[0] and acked[n][0] == key[1]),
                key=lambda n: int(n.rsplit("-r", 1)[1]))]
            self.assertEqual(order, sorted(order), f"{key}: put order not kept")


if __name__ == "__main__":
    unittest.main(verbosity=2)
