"""The Debian packages, installed for real: build them with CPack, `dpkg -i` them into this
machine, verify the systemd units, run the packaged binaries with the packaged configuration the
way their units do, then remove and purge them.

Environment:
    TRIB_BUILD_DIR   the CMake build directory whose binaries are packaged (required)

Needs root (dpkg, the system users) and dpkg/adduser/systemd-analyze/setpriv; skips otherwise,
saying why. The machine has no systemd as PID 1 (nor does CI), so `systemctl start` cannot run:
`UnitProcess` starts the unit's ExecStart= itself, as its User=/Group=/SupplementaryGroups=, in
the StateDirectory= it would create, and plays the service manager on $NOTIFY_SOCKET to wait
for READY=1 as Type=notify does. The sandboxing directives are checked by `systemd-analyze
verify`, not exercised.

The packaged configurations use the fixed ports 4567 (collector) and 4568 (agent status): the
test uses them as they are, so it shows the two packages' defaults working together, and runs
alone (RUN_SERIAL). It refuses to touch a machine where the packages were installed by anyone
but itself.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402

PACKAGES = ("tributary-agent", "tributary-collector")
# Written before the first install and removed after the purge: a package installed while it
# exists was installed by this test (perhaps a run that was killed) and may be purged.
MARKER = Path("/var/lib/tributary-install-test")
COLLECTOR_PORT, AGENT_STATUS_PORT = 4567, 4568


def run(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def installed(package: str) -> bool:
    done = run("dpkg-query", "-W", "-f=${Status}", package, check=False)
    return done.returncode == 0 and "install ok installed" in done.stdout


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def unit_settings(path: Path) -> dict[str, list[str]]:
    """The [Service] section of a unit, every value of a repeated key in order."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


class UnitProcess:
    """A unit's ExecStart= run as systemd would run it (see the module comment)."""

    def __init__(self, unit: Path, workdir: Path) -> None:
        self.settings = unit_settings(unit)
        self.socket_path = workdir / f"{unit.stem}.notify"
        self.log_path = workdir / f"{unit.stem}.log"
        self.proc: subprocess.Popen | None = None
        self.notifications: list[str] = []

    def start(self, timeout: float = 20.0) -> None:
        s = self.settings
        user, group = s["User"][0], s["Group"][0]
        for name in s.get("StateDirectory", []):
            state = Path("/var/lib") / name
            state.mkdir(mode=0o750, exist_ok=True)
            shutil.chown(state, user, group)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o666)  # the service user sends to it
        listener.settimeout(0.2)
        self.listener = listener
        self.log = open(self.log_path, "wb")
        command = ["setpriv", f"--reuid={user}", f"--regid={group}",
                   "--groups=" + ",".join(s.get("SupplementaryGroups", [])) if s.get("SupplementaryGroups") else "--clear-groups",
                   "--inh-caps=-all", "--no-new-privs", "--"] + s["ExecStart"][0].split()
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET": str(self.socket_path)}
        self.proc = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd="/", umask=int(s.get("UMask", ["0022"])[0], 8))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{command} exited {self.proc.returncode}:\n{self.output()}")
            try:
                self.notifications.append(listener.recv(4096).decode())
            except socket.timeout:
                continue
            if any("READY=1" in n.split("\n") for n in self.notifications):
                return
        raise AssertionError(f"no READY=1 within {timeout} s from {command}:\n{self.output()}")

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        code = self.proc.wait(timeout=60)
        try:
            while True:
                self.notifications.append(self.listener.recv(4096).decode())
        except (socket.timeout, OSError):
            pass
        self.listener.close()
        self.log.close()
        return code

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if hasattr(self, "listener"):
            self.listener.close()
            self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]


@unittest.skipUnless(os.geteuid() == 0, "installing packages needs root")
@unittest.skipUnless(all(shutil.which(t) for t in ("dpkg", "adduser", "systemd-analyze", "setpriv",
                                                    "cpack")),
                     "needs dpkg, adduser, systemd-analyze, setpriv and cpack")
class PackageInstallTest(unittest.TestCase):
    """One install → run → remove → purge cycle; the tests run in name order on shared state."""

    @classmethod
    def setUpClass(cls) -> None:
        build = os.environ.get("TRIB_BUILD_DIR")
        if not build:
            raise unittest.SkipTest("TRIB_BUILD_DIR is not set")
        cls.build = Path(build)
        foreign = [p for p in PACKAGES if installed(p)]
        if foreign and not MARKER.exists():
            raise unittest.SkipTest(f"{', '.join(foreign)} installed on this machine, not by this "
                                    "test: it will not touch a real installation")
        for port in (COLLECTOR_PORT, AGENT_STATUS_PORT):
            if not port_free(port):
                raise AssertionError(f"127.0.0.1:{port} is taken: the packaged defaults need it")
        MARKER.touch()
        if foreign:  # left by an interrupted run of this test
            run("dpkg", "--purge", *PACKAGES)
        cls.work = Path(tempfile.mkdtemp(prefix="trib-pkg-"))
        os.chmod(cls.work, 0o755)
        out = cls.work / "packages"
        run("cpack", "--config", str(cls.build / "CPackConfig.cmake"), "-B", str(out))
        cls.debs = {p: next(out.glob(f"{p}_*.deb")) for p in PACKAGES}
        cls.arch = run("dpkg", "--print-architecture").stdout.strip()

    @classmethod
    def tearDownClass(cls) -> None:
        if any(installed(p) for p in PACKAGES):
            run("dpkg", "--purge", *PACKAGES, check=False)
        MARKER.unlink(missing_ok=True)
        shutil.rmtree(getattr(cls, "work", "/nonexistent"), ignore_errors=True)

    def field(self, package: str, name: str) -> str:
        return run("dpkg-deb", "-f", str(self.debs[package]), name).stdout.strip()

    # --- the .deb files ------------------------------------------------------------------------

    def test_10_packages_name_their_architecture_and_library_depends(self) -> None:
        for p in PACKAGES:
            self.assertEqual(self.field(p, "Architecture"), self.arch)
            self.assertEqual(self.debs[p].name, f"{p}_{self.field(p, 'Version')}_{self.arch}.deb")
            depends = self.field(p, "Depends")
            for needed in ("adduser", "init-system-helpers", "libc6", "liblmdb0", "libssl3",
                           "libpaho-mqtt1.3", "libpaho-mqttpp3-1", "libzstd1"):
                self.assertIn(needed, depends, p)
        self.assertIn("libcpprest2.10", self.field("tributary-agent", "Depends"))
        self.assertIn("libpcre2-8-0", self.field("tributary-agent", "Depends"))
        self.assertNotIn("libcpprest", self.field("tributary-collector", "Depends"))

    def test_11_fallback_depends_match_dpkg_shlibdeps(self) -> None:
        """cmake/packaging.cmake's TRIB_DEB_DEPENDS_* (for sysroot cross builds) must list what
        dpkg-shlibdeps finds natively, or an armhf package would miss a library."""
        cache = (self.build / "CMakeCache.txt").read_text()

        def cached(name: str) -> set[str]:
            m = re.search(rf"^{name}:STRING=(.*)$", cache, re.M)
            self.assertIsNotNone(m, name)
            return {d.strip() for d in m.group(1).split(",") if d.strip()}

        common = cached("TRIB_DEB_DEPENDS_COMMON")
        for p, own in (("tributary-agent", "TRIB_DEB_DEPENDS_AGENT"),
                       ("tributary-collector", "TRIB_DEB_DEPENDS_COLLECTOR")):
            found = {d.strip() for d in self.field(p, "Depends").split(",")}
            found = {d for d in found if not d.startswith(("adduser", "init-system-helpers"))}
            self.assertEqual(found, common | cached(own), p)

    def test_12_configurations_are_conffiles(self) -> None:
        for p in PACKAGES:
            control = self.work / f"control-{p}"
            run("dpkg-deb", "-e", str(self.debs[p]), str(control))
            name = p.removeprefix("tributary-")
            self.assertEqual((control / "conffiles").read_text().split(), [f"/etc/tributary/{name}.json"])
            for script in ("postinst", "prerm", "postrm"):
                self.assertTrue(os.access(control / script, os.X_OK), f"{p} {script}")

    # --- installed -----------------------------------------------------------------------------

    def test_20_install_creates_users_units_and_configuration(self) -> None:
        run("dpkg", "-i", *(str(d) for d in self.debs.values()))
        for p in PACKAGES:
            self.assertTrue(installed(p), p)
            user = pwd.getpwnam(p)
            self.assertLess(user.pw_uid, 1000, f"{p} is a system user")
            self.assertEqual(grp.getgrgid(user.pw_gid).gr_name, p)
            self.assertEqual(user.pw_dir, f"/var/lib/{p}")
            self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
            self.assertTrue(os.access(f"/usr/bin/{p}", os.X_OK))
            self.assertTrue(Path(f"/usr/share/man/man8/{p}.8.gz").is_file())
            # deb-systemd-helper enables the unit even without systemd running.
            self.assertTrue(Path(f"/etc/systemd/system/multi-user.target.wants/{p}.service").exists(), p)
        for p in PACKAGES:
            # It may hold credentials: root and the service's group only (a statoverride).
            config = Path(f"/etc/tributary/{p.removeprefix('tributary-')}.json")
            self.assertEqual((config.owner(), config.group(), oct(config.stat().st_mode & 0o777)),
                             ("root", p, "0o640"))
        version = run("/usr/bin/tributary-agent", "--version").stdout
        self.assertRegex(version, r"^tributary-agent \d+\.\d+\.\d+")

    def test_21_units_pass_systemd_analyze_verify(self) -> None:
        units = [f"/lib/systemd/system/{p}.service" for p in PACKAGES]
        done = run("systemd-analyze", "verify", *units, check=False)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(done.stdout + done.stderr, "")
        security = run("systemd-analyze", "security", "--offline=yes", "--threshold=20", *units,
                       check=False)
        self.assertEqual(security.returncode, 0, security.stdout + security.stderr)

    def test_22_man_pages_list_every_collector_key_the_binary_knows(self) -> None:
        help_text = run("/usr/bin/tributary-collector", "--help").stdout
        keys = re.findall(r"^  ([a-z_0-9]+)\t", help_text, re.M)
        self.assertGreater(len(keys), 20)
        man = run("man", "-l", "/usr/share/man/man8/tributary-collector.8.gz",
                  env={**os.environ, "MANWIDTH": "200"}).stdout
        readme = (harness.REPO / "README.md").read_text()
        for key in keys:
            self.assertRegex(man, rf"\b{key}\b", f"{key} missing from tributary-collector(8)")
            self.assertIn(f"`{key}`", readme, f"{key} missing from README.md's collector table")

    def test_30_packaged_collector_and_agent_run_together(self) -> None:
        """Both services as their units run them, with the packaged configurations: the agent's
        default flow (this machine's metrics) reaches the packaged collector."""
        collector = UnitProcess(Path("/lib/systemd/system/tributary-collector.service"), self.work)
        agent = UnitProcess(Path("/lib/systemd/system/tributary-agent.service"), self.work)
        try:
            collector.start()
            self.assertIn("STATUS=serving the Kinesis API on 127.0.0.1:4567",
                          "\n".join(collector.notifications))
            self.assertEqual(harness.http_get(COLLECTOR_PORT, "/health")[0], 200)
            endpoint = f"http://127.0.0.1:{COLLECTOR_PORT}"
            kinesis = harness.boto3_client(endpoint)
            kinesis.create_stream(StreamName="device-metrics", ShardCount=1)
            harness.wait_for_status(kinesis, "device-metrics")

            agent.start()
            status = run("/usr/bin/tributary-agent", "status").stdout
            self.assertIn("flow kinesis:device-metrics:metrics -> device-metrics", status)
            wait_until(lambda: "read 0 " not in run("/usr/bin/tributary-agent", "status").stdout)
            # maxBufferAgeMillis is a minute by default; a stop delivers what is spooled.
            self.assertEqual(agent.stop(), 0, agent.output())
            self.assertIn("STOPPING=1", "\n".join(agent.notifications))

            records = [data for _, data in harness.read_stream(endpoint, "device-metrics")]
            self.assertGreaterEqual(len(records), 1, agent.output())
            sample = json.loads(records[0])
            self.assertIn("cpu", json.dumps(sample))
            # The spool lives in the state directory, owned by the service user.
            spool = Path("/var/lib/tributary-agent")
            self.assertEqual(spool.owner(), "tributary-agent")
            self.assertTrue(any(spool.iterdir()), "the agent's spool is empty")
            self.assertEqual(collector.stop(), 0, collector.output())
            self.assertEqual(Path("/var/lib/tributary-collector/data.mdb").owner(),
                             "tributary-collector")
        finally:
            agent.kill()
            collector.kill()

    def test_40_reinstall_keeps_a_changed_configuration(self) -> None:
        config = Path("/etc/tributary/collector.json")
        config.write_text(config.read_text().replace('"log_level": "info"', '"log_level": "warn"'))
        run("dpkg", "-i", str(self.debs["tributary-collector"]))
        self.assertIn('"log_level": "warn"', config.read_text())

    def test_50_remove_keeps_configuration_and_data_purge_deletes_them(self) -> None:
        run("dpkg", "--remove", *PACKAGES)
        for p in PACKAGES:
            self.assertFalse(Path(f"/usr/bin/{p}").exists(), p)
            self.assertTrue(Path(f"/etc/tributary/{p.removeprefix('tributary-')}.json").exists(), p)
            self.assertTrue(Path(f"/var/lib/{p}").is_dir(), f"{p}: data must survive a remove")
        run("dpkg", "--purge", *PACKAGES)
        for p in PACKAGES:
            self.assertFalse(Path(f"/etc/tributary/{p.removeprefix('tributary-')}.json").exists(), p)
            self.assertFalse(Path(f"/var/lib/{p}").exists(), f"{p}: purge must delete the data")
            self.assertFalse(Path(f"/etc/systemd/system/multi-user.target.wants/{p}.service").exists())
            self.assertNotIn(f"/etc/tributary/{p.removeprefix('tributary-')}.json",
                             run("dpkg-statoverride", "--list").stdout)
            pwd.getpwnam(p)  # the system user stays (Debian policy)


def wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {predicate}")
        time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
