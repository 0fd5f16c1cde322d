"""End-to-end tests of tributary-agent against a real tributary-collector.

The "device" is a temporary directory: the tests write log files there, rotate them (rename +
create, copytruncate), delete them, write binary garbage and 5 MiB lines, stop the collector,
SIGTERM and kill -9 the agent. Afterwards every line is looked up in the stream with boto3:

* missing   lines written but never stored: must be 0 in every test;
* duplicates lines stored more than once: 0, after kill -9 too (the agent re-sends a batch in
             flight under its number, the collector answers it from its dedup entry:
             docs/agent-delivery.md);
* order     the first occurrence of each line of one file follows the file's order.

Streams have one shard so that "in order" is checkable across the whole stream (one test uses
four shards, and checks the order per shard, as a Kinesis consumer sees it). Everything
listens on 127.0.0.1; agents and collectors are stopped and their directories deleted whatever
happens.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

from harness import (Agent, Collector, ServerTestCase, boto3_client, read_stream, unique_name,
                     wait_for_status)

FILLER = "x" * 150  # ~200-byte lines, as in the benchmark


def line(tag: str, i: int) -> str:
    return f"{tag}-{i:08d} {FILLER}"


def append_lines(path: Path, tag: str, start: int, count: int) -> None:
    with open(path, "a") as f:
        for i in range(start, start + count):
            f.write(line(tag, i) + "\n")


class Tally:
    """What arrived, compared with what was written."""

    def __init__(self, expected: list[str], records: list[bytes]) -> None:
        self.expected = expected
        got = [r.decode("utf-8", "replace") for r in records]
        counts: dict[str, int] = {}
        for g in got:
            counts[g] = counts.get(g, 0) + 1
        self.missing = [e for e in expected if e not in counts]
        self.duplicates = sum(c - 1 for c in counts.values() if c > 1)
        wanted = set(expected)
        self.unexpected = [g for g in counts if g not in wanted]
        # Order of first occurrences, per file tag.
        firsts: dict[str, list[int]] = {}
        seen: set[str] = set()
        for g in got:
            if g in seen:
                continue
            seen.add(g)
            tag, _, rest = g.partition("-")
            try:
                firsts.setdefault(tag, []).append(int(rest.split(" ", 1)[0]))
            except ValueError:
                pass
        self.out_of_order = sum(1 for seq in firsts.values()
                                for a, b in zip(seq, seq[1:]) if b < a)

    def report(self, name: str) -> str:
        return (f"{name}: written {len(self.expected)}, missing {len(self.missing)}, "
                f"duplicates {self.duplicates}, out of order {self.out_of_order}, "
                f"unexpected {len(self.unexpected)}")


class AgentCase(ServerTestCase):
    """One collector for the class; a fresh stream and device directory per test."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.collector = cls.start_server(Collector("--throughput-limits=off"))

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="trib-agent-device-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.stream = self.new_stream(self.collector.endpoint)

    def new_stream(self, endpoint: str) -> str:
        name = unique_name("agent")
        client = boto3_client(endpoint)
        client.create_stream(StreamName=name, ShardCount=1)
        wait_for_status(client, name)
        return name

    def flow(self, **overrides) -> dict:
        f = {"filePattern": str(self.dir / "app*.log"), "kinesisStream": self.stream,
             "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000,
             "partitionKeyOption": "DETERMINISTIC"}
        f.update(overrides)
        return f

    def agent(self, flows: list[dict] | None = None, endpoint: str | None = None,
              **global_keys) -> Agent:
        config = {"kinesis.endpoint": endpoint or self.collector.endpoint,
                  "awsAccessKeyId": "x", "awsSecretAccessKey": "x",
                  "flows": flows if flows is not None else [self.flow()]}
        config.update(global_keys)
        a = Agent(config)
        self.addCleanup(a.cleanup)
        return a

    def records(self, expect: int, timeout: float = 60.0, endpoint: str | None = None) -> list[bytes]:
        got = read_stream(endpoint or self.collector.endpoint, self.stream, timeout=timeout,
                          expect=expect)
        return [data for _, data in got]

    def assert_exactly_once_in_order(self, expected: list[str], records: list[bytes],
                                     name: str) -> Tally:
        t = Tally(expected, records)
        print(t.report(name))
        self.assertEqual(t.missing[:5], [], t.report(name))
        self.assertEqual(t.duplicates, 0, t.report(name))
        self.assertEqual(t.out_of_order, 0, t.report(name))
        self.assertEqual(t.unexpected[:5], [], t.report(name))
        return t


class FileDelivery(AgentCase):

    def test_lines_arrive_once_in_file_order(self):
        log = self.dir / "app.log"
        append_lines(log, "a", 0, 3000)
        with self.agent():
            append_lines(log, "a", 3000, 2000)
            expected = [line("a", i) for i in range(5000)]
            self.assert_exactly_once_in_order(expected, self.records(len(expected)), "plain")

    def test_lanes_keep_every_shard_in_file_order(self):
        # Four shards: the flow sends one batch per shard lane at once, and each shard must
        # still hold the file's lines in order (the order a Kinesis consumer reads).
        client = boto3_client(self.collector.endpoint)
        self.stream = unique_name("lanes")
        client.create_stream(StreamName=self.stream, ShardCount=4)
        wait_for_status(client, self.stream)
        log = self.dir / "app.log"
        append_lines(log, "a", 0, 20000)
        with self.agent([self.flow(partitionKeyOption="RANDOM")]) as agent:
            append_lines(log, "a", 20000, 10000)
            expected = [line("a", i) for i in range(30000)]
            got = read_stream(self.collector.endpoint, self.stream, timeout=60,
                              expect=len(expected))
            flow = agent.status()["flows"][0]
        t = Tally(expected, [data for _, data in got])
        print(t.report("lanes"))
        self.assertEqual((t.missing[:5], t.duplicates), ([], 0), t.report("lanes"))
        shards = {sid for sid, _ in got}
        self.assertEqual(len(shards), 4)
        for sid in shards:
            per_shard = Tally([], [data for s, data in got if s == sid])
            self.assertEqual(per_shard.out_of_order, 0, sid)
        self.assertEqual(flow["lanes"], 4)
        # Rounds of up to 4 x 500 records: well under one batch per 500 lines.
        self.assertLess(flow["batches_sent"], 30000 / 100)

    def test_rotation_by_rename_and_create(self):
        log = self.dir / "app.log"
        with self.agent() as agent:
            append_lines(log, "a", 0, 2000)
            self.wait_tracked(agent, log)  # the agent has it open (not necessarily read)
            os.rename(log, self.dir / "app.log.1")  # no longer matches app*.log
            # The application still writes to the renamed file until it reopens its log.
            append_lines(self.dir / "app.log.1", "a", 2000, 300)
            append_lines(log, "b", 0, 2000)
            expected = [line("a", i) for i in range(2300)] + [line("b", i) for i in range(2000)]
            self.assert_exactly_once_in_order(expected, self.records(len(expected)), "rename")

    def test_rotation_by_copytruncate(self):
        log = self.dir / "app.log"
        with self.agent() as agent:
            append_lines(log, "a", 0, 2000)
            self.wait_caught_up(agent, log)
            shutil.copy(log, self.dir / "app.log.1")
            with open(log, "r+") as f:
                f.truncate(0)
            append_lines(log, "b", 0, 1000)
            expected = [line("a", i) for i in range(2000)] + [line("b", i) for i in range(1000)]
            self.assert_exactly_once_in_order(expected, self.records(len(expected)),
                                              "copytruncate")

    def test_new_files_matching_a_directory_wildcard_are_picked_up(self):
        flows = [self.flow(filePattern=str(self.dir / "*" / "**" / "app*.log"))]
        with self.agent(flows):
            deep = self.dir / "svc1" / "2026" / "11"
            deep.mkdir(parents=True)
            append_lines(deep / "app.log", "d", 0, 500)
            (self.dir / "svc2").mkdir()
            append_lines(self.dir / "svc2" / "app-x.log", "e", 0, 500)
            expected = [line("d", i) for i in range(500)] + [line("e", i) for i in range(500)]
            self.assert_exactly_once_in_order(expected, self.records(len(expected)), "globs")

    def test_file_deleted_while_being_read_is_read_to_its_end(self):
        log = self.dir / "app.log"
        append_lines(log, "a", 0, 20000)
        with self.agent() as agent:
            log.unlink()
            expected = [line("a", i) for i in range(20000)]
            self.assert_exactly_once_in_order(expected, self.records(len(expected)), "deleted")
            self.assertIsNone(agent.proc.poll(), "the agent must keep running")

    def wait_tracked(self, agent: Agent, path: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(f.get("path") == str(path)
                   for flow in agent.status().get("flows", []) for f in flow.get("files", [])):
                return
            time.sleep(0.02)
        self.fail(f"agent never tracked {path}: {agent.status()}")

    def wait_caught_up(self, agent: Agent, path: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        size = path.stat().st_size
        while time.monotonic() < deadline:
            for flow in agent.status().get("flows", []):
                for f in flow.get("files", []):
                    if f.get("path") == str(path) and f.get("offset") == size:
                        return
            time.sleep(0.1)
        self.fail(f"agent did not read {path} to its end ({size} bytes) within {timeout} s: "
                  f"{agent.status()}")


class Restarts(AgentCase):

    def test_sigterm_and_restart_neither_loses_nor_repeats(self):
        log = self.dir / "app.log"
        agent = self.agent()
        agent.start()
        append_lines(log, "a", 0, 5000)
        time.sleep(0.5)
        self.assertEqual(agent.stop(), 0, agent.tail())
        append_lines(log, "a", 5000, 5000)
        agent.start()
        expected = [line("a", i) for i in range(10000)]
        self.assert_exactly_once_in_order(expected, self.records(len(expected)), "sigterm")

    def test_kill9_at_random_points_loses_nothing(self):
        """A writer appends (and rotates) without pause while the agent is killed 4 times."""
        log = self.dir / "app.log"
        agent = self.agent([self.flow(maxBufferSizeRecords=200)])
        agent.start()
        written: list[str] = []
        stop = threading.Event()

        def writer() -> None:
            n, tag_ix = 0, 0
            tags = "abcdefgh"
            while not stop.is_set():
                tag = tags[tag_ix]
                append_lines(log, tag, n, 200)
                written.extend(line(tag, i) for i in range(n, n + 200))
                n += 200
                if n >= 4000 and tag_ix + 1 < len(tags):  # rotate by rename
                    os.rename(log, self.dir / f"app.log.{tag}")
                    n, tag_ix = 0, tag_ix + 1
                time.sleep(0.01)

        t = threading.Thread(target=writer)
        t.start()
        rng = random.Random(7)
        try:
            for _ in range(4):
                time.sleep(rng.uniform(0.3, 1.5))
                agent.kill9()
                time.sleep(rng.uniform(0.0, 0.3))
                agent.start()
        finally:
            stop.set()
            t.join()
        tally = Tally(written, self.records(len(written), timeout=90))
        print(tally.report("kill -9 x4"))
        self.assertEqual(tally.missing[:5], [], tally.report("kill -9"))
        self.assertEqual(tally.out_of_order, 0, tally.report("kill -9"))
        # Exactly once: a batch in flight at the kill is re-sent after the restart under its
        # number with the same records, and the collector answers it from its dedup entry.
        self.assertEqual(tally.duplicates, 0, tally.report("kill -9"))

    def test_collector_down_for_a_while(self):
        collector = Collector("--throughput-limits=off")
        self.addCleanup(collector.cleanup)
        collector.start()
        self.stream = self.new_stream(collector.endpoint)
        log = self.dir / "app.log"
        with self.agent(endpoint=collector.endpoint) as agent:
            append_lines(log, "a", 0, 1000)
            time.sleep(1.5)
            collector.stop()
            append_lines(log, "a", 1000, 3000)  # spooled while the collector is away
            time.sleep(3)
            self.assertIsNone(agent.proc.poll(), "the agent must survive the collector's absence")
            collector.start()
            expected = [line("a", i) for i in range(4000)]
            self.assert_exactly_once_in_order(
                expected, self.records(len(expected), endpoint=collector.endpoint),
                "collector down")


class BadInput(AgentCase):

    def test_binary_garbage_passes_through_byte_for_byte(self):
        log = self.dir / "app.log"
        garbage = [bytes([0xff, 0xfe, 0x00, 0x80, i]) + b" \xc3\x28 tail"
                   for i in range(1, 50) if i != 0x0A]  # every byte but the line end
        log.write_bytes(b"".join(g + b"\n" for g in garbage))
        with self.agent():
            got = self.records(len(garbage))
            self.assertEqual(got, garbage)

    def test_long_lines_are_truncated_with_the_terminator_and_counted(self):
        log = self.dir / "app.log"
        with open(log, "w") as f:
            f.write("before\n")
            f.write("L" * (5 << 20) + "\n")
            f.write("after\n")
        with self.agent() as agent:
            got = self.records(3)
            self.assertEqual(got[0], b"before")
            self.assertEqual(got[2], b"after")
            self.assertLessEqual(len(got[1]), 1 << 20)
            self.assertGreater(len(got[1]), 1 << 19)
            self.assertTrue(got[1].endswith(b"\n"), "truncatedRecordTerminator (default \\n)")
            status = json.dumps(agent.status())
            self.assertIn("truncated", status)

    def test_malformed_config_is_rejected_naming_file_and_key(self):
        agent = self.agent([self.flow(maxBufferAgeMillis=0)])
        agent.write_config()
        proc = subprocess.run([str(agent.binary), "--config", str(agent.config_path)],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("agent.json", proc.stderr)
        self.assertIn("flows[0].maxBufferAgeMillis", proc.stderr)

    def test_unknown_key_is_rejected(self):
        agent = self.agent(flows=[self.flow(filePatern="typo")])
        agent.write_config()
        proc = subprocess.run([str(agent.binary), "--config", str(agent.config_path)],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("flows[0].filePatern", proc.stderr)


class Processing(AgentCase):

    def test_logtojson_ships_json_and_marks_what_does_not_parse(self):
        log = self.dir / "app.log"
        good = ['192.168.1.20 - alice [26/Nov/2026:10:00:01 +0000] "GET /a HTTP/1.1" 200 512',
                '10.0.0.7 - - [26/Nov/2026:10:00:02 +0000] "POST /b HTTP/1.1" 500 -']
        log.write_text(good[0] + "\nthis is not an apache line\n" + good[1] + "\n")
        flows = [self.flow(dataProcessingOptions=[
            {"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG"}])]
        with self.agent(flows):
            got = self.records(3)
            first = json.loads(got[0])
            self.assertEqual(first["host"], "192.168.1.20")
            self.assertEqual(first["response"], "200")
            third = json.loads(got[2])
            self.assertIsNone(third["bytes"])
            # Never silently dropped: shipped raw, marked.
            self.assertIn(b"this is not an apache line", got[1])

    def test_metrics_flow_emits_json_records(self):
        flows = [{"source": "metrics", "kinesisStream": self.stream,
                  "metricsIntervalMillis": 1000, "maxBufferAgeMillis": 1000}]
        with self.agent(flows, deviceId="pi-042"):
            got = self.records(2, timeout=30)
            self.assertGreaterEqual(len(got), 2)
            doc = json.loads(got[0])
            self.assertEqual(doc["device"], "pi-042")
            self.assertIn("cpu", doc)
            self.assertIn("memory", doc)
            self.assertEqual(doc["agent"]["flows"], 1)  # the agent's own counters


if __name__ == "__main__":
    unittest.main()
