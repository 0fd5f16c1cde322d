"""examples/fleet/run.sh as a user runs it: a short fleet must store every line exactly once,
and the script must leave nothing behind — no process, no directory — after a normal run and
after Ctrl-C; with --keep it keeps the directory (with the rotated logs) but no process.

"Nothing left" is judged from outside the script: every process it starts names its work
directory on its command line (config, data dir, --work), so a scan of /proc for that path finds
them all. Each test first sees that scan find the running fleet, so an empty scan afterwards
means the processes are gone, not that the scan is blind.

Needs mosquitto and openssl (skips without them), and TRIB_AGENT / TRIB_COLLECTOR (CMake passes
both; by hand they default to the repo's build/).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest
from pathlib import Path

from harness import REPO, agent_binary, collector_binary
from test_mosquitto_example import needs_mosquitto

RUN = REPO / "examples" / "fleet" / "run.sh"
WAIT_S = 60.0   # bound on one run of the script, start to exit


def fleet_processes(work: Path) -> list[tuple[int, str]]:
    """Every process whose command line names `work`: (pid, command line)."""
    found = []
    needle = str(work).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # exited while we looked
        if needle in cmd:
            shown = cmd.replace(b"\0", b" ").decode(errors="replace")
            found.append((int(entry.name), shown))
    return found


def parse_table(output: str) -> dict[str, dict[str, float]]:
    """The per-device table: {device or "fleet": {column: value}}."""
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("device "))
    columns = lines[start].split()[1:]
    rows = {}
    for ln in lines[start + 1:]:
        if not ln.strip():
            break
        if ln.startswith("-"):
            continue
        name, *values = ln.split()
        rows[name] = {c: float(v.replace(",", "")) for c, v in zip(columns, values)}
    return rows


class Run:
    """run.sh in its own session (so a Ctrl-C can go to its whole process group, as a terminal
    sends it), its combined output collected line by line."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "TRIB_AGENT": str(agent_binary()),
               "TRIB_COLLECTOR": str(collector_binary())}
        self.proc = subprocess.Popen([str(RUN), *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for ln in self.proc.stdout:
            self.lines.put(ln)

    def _take(self, timeout: float) -> bool:
        try:
            self.seen.append(self.lines.get(timeout=timeout))
            return True
        except queue.Empty:
            return False

    @property
    def output(self) -> str:
        return "".join(self.seen)

    def wait_for_line(self, pattern: str) -> re.Match:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for ln in self.seen:
                if m := re.search(pattern, ln):
                    return m
            if not self._take(0.2) and self.proc.poll() is not None:
                break
        raise AssertionError(f"no line matching {pattern!r}; output:\n{self.output}")

    @property
    def work(self) -> Path:
        return Path(self.wait_for_line(r"^== work dir (\S+)$")[1])

    def finish(self) -> int:
        code = self.proc.wait(timeout=WAIT_S)
        self.reader.join(timeout=10)  # EOF once every writer of the pipe has exited
        while self._take(0.0):
            pass
        return code

    def close(self) -> None:
        """Cleanup; for a failed test, SIGKILL to the whole group at once first."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        self.proc.stdout.close()


@needs_mosquitto
class FleetExample(unittest.TestCase):

    def start(self, *args: str) -> Run:
        run = Run(*args)
        self.addCleanup(run.close)
        work = run.work
        self.addCleanup(shutil.rmtree, work, True)
        return run

    def assert_nothing_left(self, work: Path) -> None:
        deadline = time.monotonic() + 5  # /proc entries of exited children vanish once reaped
        while (left := fleet_processes(work)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid, _ in left:  # the test still cleans up after a script that did not
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.assertEqual(left, [], "processes of the fleet still running")

    def test_short_run_stores_every_line_once_and_leaves_nothing(self) -> None:
        t0 = time.monotonic()
        run = self.start("--devices", "3", "--duration", "8", "--rate", "200")
        work = run.work
        run.wait_for_line(r"^\[ *\d+\.\d s\] running ")
        # python, broker, collector, 3 agents
        self.assertGreaterEqual(len(fleet_processes(work)), 6,
                                "the scan does not see the running fleet")
        code = run.finish()
        self.assertEqual(code, 0, run.output)
        table = parse_table(run.output)
        self.assertEqual(sorted(table), ["fleet", "pi-001", "pi-002", "pi-003"], run.output)
        fleet = table["fleet"]
        # 3 devices x 200 lines/s x 8 s, less what the start of each writer's first tick costs.
        self.assertGreater(fleet["written"], 0.9 * 3 * 200 * 8, run.output)
        self.assertEqual(fleet["stored"], fleet["written"], run.output)
        self.assertEqual((fleet["missing"], fleet["dups"], fleet["order"]), (0, 0, 0), run.output)
        for device in ("pi-001", "pi-002", "pi-003"):
            row = table[device]
            self.assertEqual(row["stored"], row["written"], run.output)
            self.assertGreater(row["rss_MiB"], 0, run.output)  # the agent was measured alive
            self.assertLessEqual(row["p50_ms"], row["p99_ms"], run.output)
        self.assertIn("RESULT: ok", run.output)
        self.assertFalse(work.exists(), f"{work} is still there")
        self.assert_nothing_left(work)
        print(f"fleet of 3, 8 s: {fleet['written']:.0f} lines, lag p50 {fleet['p50_ms']:.0f} ms "
              f"p99 {fleet['p99_ms']:.0f} ms; run.sh took {time.monotonic() - t0:.1f} s")

    def test_ctrl_c_stops_every_process_and_removes_the_work_dir(self) -> None:
        run = self.start("--devices", "2", "--duration", "60")
        work = run.work
        run.wait_for_line(r"^\[ *\d+\.\d s\] running ")
        # python, broker, collector, 2 agents
        self.assertGreaterEqual(len(fleet_processes(work)), 5,
                                "the scan does not see the running fleet")
        t0 = time.monotonic()
        os.killpg(run.proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
        code = run.finish()
        self.assertEqual(code, 130, run.output)
        self.assertLess(time.monotonic() - t0, 20, "stopping took too long")
        # SIGINT from the "terminal" or SIGTERM from run.sh's trap, whichever Python sees first
        self.assertIn("== interrupted (SIG", run.output)
        self.assertFalse(work.exists(), f"{work} is still there")
        self.assert_nothing_left(work)

    def test_keep_keeps_the_logs_but_no_process(self) -> None:
        run = self.start("--devices", "2", "--duration", "3", "--keep")
        work = run.work
        self.assertEqual(run.finish(), 0, run.output)
        self.assertIn(f"== kept {work}", run.output)
        self.assert_nothing_left(work)
        for device in ("pi-001", "pi-002"):  # rotated once, mid-run
            self.assertTrue((work / "logs" / device / "app.log.1").is_file(), run.output)
            self.assertTrue((work / "logs" / device / "app.log").is_file(), run.output)
        listed = re.findall(r"^   (?:mosquitto|collector|pi-\d+) +(\S+)", run.output, re.M)
        self.assertEqual(len(listed), 4, run.output)
        for path in listed:
            self.assertTrue(Path(path).is_file(), path)


if __name__ == "__main__":
    unittest.main()
