"""The cross-built agent under qemu-user against a native collector on loopback.

What a device build must still do when it runs on an ARM CPU (emulated): tail a file, keep the
spool and its checkpoints across a restart, and ship every line exactly once and in order over
the same HTTP API the native agent uses (tests/integration/test_agent.py has the native
variants; this reuses its Tally and tests/integration/harness.py).

    TRIB_CROSS_AGENT     the cross-built tributary-agent (required)
    TRIB_CROSS_EMULATOR  the command that runs it (default from the binary's ELF header:
                         qemu-aarch64-static, or qemu-arm-static -L $TRIB_SYSROOT for armhf)
    TRIB_COLLECTOR       a native tributary-collector (default <repo>/build/collector/...)

tests/cross/run.sh sets all three.
"""

from __future__ import annotations

import os
import shlex
import shutil
import struct
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from harness import (Agent, Collector, ServerError, ServerTestCase, boto3_client,  # noqa: E402
                     read_stream, unique_name, wait_for_status)
from test_agent import Tally, append_lines, line  # noqa: E402

# ELF e_machine values.
EM_ARM, EM_X86_64, EM_AARCH64 = 40, 62, 183
QEMU = {EM_AARCH64: "qemu-aarch64-static", EM_ARM: "qemu-arm-static"}


def elf_machine(path: Path) -> tuple[int, int]:
    """(e_machine, pointer bits) of an ELF file."""
    head = path.read_bytes()[:20]
    if head[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    bits = 32 if head[4] == 1 else 64
    return struct.unpack_from("<H", head, 18)[0], bits


def cross_agent() -> Path:
    value = os.environ.get("TRIB_CROSS_AGENT")
    if not value:
        raise unittest.SkipTest("TRIB_CROSS_AGENT is not set (tests/cross/run.sh sets it)")
    return Path(value).resolve()  # the agent runs in its own temporary directory


def emulator(machine: int) -> list[str]:
    if os.environ.get("TRIB_CROSS_EMULATOR"):
        return shlex.split(os.environ["TRIB_CROSS_EMULATOR"])
    command = [QEMU[machine]]
    if os.environ.get("TRIB_SYSROOT"):
        command += ["-L", os.environ["TRIB_SYSROOT"]]
    return command


class CrossAgent(ServerTestCase):
    """One native collector for the class; a fresh stream and device directory per test."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.binary = cross_agent()
        cls.machine, cls.bits = elf_machine(cls.binary)
        cls.prefix = emulator(cls.machine) if cls.machine in QEMU else []
        cls.collector = cls.start_server(Collector("--throughput-limits=off"))

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="trib-cross-device-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        client = boto3_client(self.collector.endpoint)
        self.stream = unique_name("cross")
        client.create_stream(StreamName=self.stream, ShardCount=1)
        wait_for_status(client, self.stream)

    def agent(self, **global_keys) -> Agent:
        config = {"kinesis.endpoint": self.collector.endpoint,
                  "awsAccessKeyId": "x", "awsSecretAccessKey": "x",
                  "flows": [{"filePattern": str(self.dir / "app*.log"),
                             "kinesisStream": self.stream, "initialPosition": "START_OF_FILE",
                             "maxBufferAgeMillis": 200, "partitionKeyOption": "DETERMINISTIC"}]}
        config.update(global_keys)
        a = Agent(config, binary=self.binary, prefix=self.prefix)
        self.addCleanup(a.cleanup)
        return a

    def records(self, expect: int) -> list[bytes]:
        got = read_stream(self.collector.endpoint, self.stream, timeout=90, expect=expect)
        return [data for _, data in got]

    def assert_exactly_once_in_order(self, expected: list[str], name: str) -> None:
        t = Tally(expected, self.records(len(expected)))
        print(f"{t.report(name)} ({' '.join(self.prefix) or 'native'})")
        self.assertEqual(t.missing[:5], [], t.report(name))
        self.assertEqual(t.duplicates, 0, t.report(name))
        self.assertEqual(t.out_of_order, 0, t.report(name))
        self.assertEqual(t.unexpected[:5], [], t.report(name))

    def test_binary_is_built_for_an_arm_target(self):
        # Otherwise the suite would pass while testing the host's build.
        self.assertIn(self.machine, (EM_AARCH64, EM_ARM),
                      f"{self.binary} is not an ARM binary (e_machine {self.machine})")
        self.assertTrue(self.prefix, "no emulator for an ARM binary")

    def test_lines_arrive_exactly_once_in_order_across_a_restart(self):
        log = self.dir / "app.log"
        append_lines(log, "a", 0, 2000)
        a = self.agent()
        a.start()
        append_lines(log, "a", 2000, 1000)
        self.assert_exactly_once_in_order([line("a", i) for i in range(3000)], "running")
        self.assertEqual(a.stop(), 0, "SIGTERM must end the agent cleanly")
        append_lines(log, "a", 3000, 1000)  # while it is down: read from the checkpoint
        a.start()
        append_lines(log, "a", 4000, 1000)
        self.assert_exactly_once_in_order([line("a", i) for i in range(5000)], "restart")

    def test_a_spool_larger_than_32_bits_can_address_is_mapped(self):
        # agent/config/agent_config.h allows 2 GiB for a 32-bit agent (its whole map must fit
        # in the address space: qemu-arm gives the guest 4 GiB, a 32-bit kernel about 3 GiB),
        # and this must map; a 64-bit agent maps 4 GiB, past what a 32-bit size_t holds.
        size = (2 << 30) if self.bits == 32 else (4 << 30)
        append_lines(self.dir / "app.log", "m", 0, 100)
        with self.agent(spoolMaxBytes=size) as a:
            self.assert_exactly_once_in_order([line("m", i) for i in range(100)], "large map")
            self.assertIsNone(a.proc.poll())

    def test_a_spool_the_host_cannot_map_is_an_error_naming_the_key(self):
        # The configuration's maximum for a 64-bit agent is 1 TiB; qemu-aarch64 7.2 maps no
        # more than 16-32 GiB, and a Raspberry Pi kernel with 39-bit addresses no more than
        # 512 GiB. Whether it maps depends on the host: when it does not, the agent must say
        # which setting to lower, not crash later.
        if self.bits == 32:
            self.skipTest("the 32-bit maximum (2 GiB) maps; the config rejects more")
        a = self.agent(spoolMaxBytes=1 << 40)
        try:
            a.start()
        except ServerError:  # exited before ready: the message must name the key
            self.assertIn("spoolMaxBytes 1099511627776 cannot be mapped", a.tail())
            return
        self.assertIsNone(a.proc.poll())  # it mapped: this host has the address space

if __name__ == "__main__":
    unittest.main(verbosity=2)
