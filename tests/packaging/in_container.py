#!/usr/bin/python3
"""Runs inside a Debian 12 container booted with systemd as PID 1 (systemd_boot_test.sh): installs
the packages from /debs and checks the units under the real service manager — readiness,
users and groups, the sandbox, restart on failure, stop, remove and purge.

Writes one line per check to /result ("ok …", "FAIL …", or "SKIP … reason" for a check the
emulated container cannot make), then "done", then powers the
container off. Standard library only (the container has python3 and nothing else of ours).
"""

from __future__ import annotations

import base64
import glob
import json
import os
import subprocess
import time
import traceback
import urllib.request

RESULT = open("/result", "w", buffering=1)
COLLECTOR = "http://127.0.0.1:4567"


def note(ok: bool, what: str) -> None:
    RESULT.write(f"{'ok' if ok else 'FAIL'} {what}\n")


def check(condition: bool, what: str, detail: str = "") -> None:
    note(bool(condition), what + ("" if condition or not detail else f": {detail}"))


def sh(*cmd: str, check_rc: bool = True) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if check_rc and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stdout}{done.stderr}")
    return done.stdout


def prop(unit: str, name: str) -> str:
    return sh("systemctl", "show", "-P", name, unit).strip()


def kinesis(action: str, body: dict) -> dict:
    request = urllib.request.Request(
        COLLECTOR, data=json.dumps(body).encode(), method="POST",
        headers={"X-Amz-Target": f"Kinesis_20131202.{action}",
                 "Content-Type": "application/x-amz-json-1.1"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


# Waits are longer in an emulated container (systemd_boot_test.sh sets the factor).
TIME_SCALE = float(os.environ.get("TRIB_TIME_SCALE", "1"))


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout * TIME_SCALE
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(0.5)
    return False


def read_stream(stream: str) -> list[str]:
    lines = []
    for shard in kinesis("ListShards", {"StreamName": stream})["Shards"]:
        iterator = kinesis("GetShardIterator", {"StreamName": stream, "ShardId": shard["ShardId"],
                                                "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        page = kinesis("GetRecords", {"ShardIterator": iterator, "Limit": 10000})
        lines += [base64.b64decode(r["Data"]).decode() for r in page["Records"]]
    return lines


def main() -> None:
    debs = sorted(glob.glob("/debs/*.deb"))
    sh("dpkg", "-i", *debs)
    note(True, f"dpkg -i {' '.join(os.path.basename(d) for d in debs)}")

    # --- the collector, started by the package's postinst ---------------------------------
    unit = "tributary-collector.service"
    check(wait_for(lambda: prop(unit, "ActiveState") == "active"), "collector active after install",
          prop(unit, "ActiveState"))
    check(prop(unit, "StatusText").startswith("serving the Kinesis API on 127.0.0.1:4567"),
          "collector reports its status (Type=notify)", prop(unit, "StatusText"))
    pid = prop(unit, "MainPID")
    status = open(f"/proc/{pid}/status").read()
    uid = [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1]
    check(uid == sh("id", "-u", "tributary-collector").strip(), "collector runs as tributary-collector")
    check("CapEff:\t0000000000000000" in status, "collector has no capabilities")
    check(os.stat("/var/lib/tributary-collector").st_uid == int(uid), "StateDirectory owned by the user")
    kinesis("CreateStream", {"StreamName": "device-metrics", "ShardCount": 1})
    kinesis("CreateStream", {"StreamName": "app-log", "ShardCount": 2})
    check(wait_for(lambda: kinesis("DescribeStreamSummary", {"StreamName": "app-log"})
                   ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"), "streams created")

    # --- the agent: an adm-group log file added to the packaged configuration ---------------
    with open("/var/log/trib-app.log", "w") as log:
        log.writelines(f"line {i}\n" for i in range(100))
    sh("chown", "root:adm", "/var/log/trib-app.log")
    os.chmod("/var/log/trib-app.log", 0o640)
    config = open("/etc/tributary/agent.json").read()
    flow = ('{"filePattern": "/var/log/trib-app.log", "kinesisStream": "app-log", '
            '"initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000},\n    {\n      "source": "metrics"')
    config = config.replace('{\n      "source": "metrics"', flow, 1)
    open("/etc/tributary/agent.json", "w").write(config)
    sh("systemctl", "restart", "tributary-agent.service")
    unit = "tributary-agent.service"
    check(prop(unit, "ActiveState") == "active", "agent active after restart (READY=1 received)",
          prop(unit, "ActiveState") + " " + sh("journalctl", "-u", unit, "--no-pager", "-n", "20", check_rc=False))
    check(prop(unit, "StatusText") == "2 flows running", "agent reports its status", prop(unit, "StatusText"))
    pid = prop(unit, "MainPID")
    status = open(f"/proc/{pid}/status").read()
    groups = [l for l in status.splitlines() if l.startswith("Groups:")][0].split()[1:]
    check(sh("getent", "group", "adm").split(":")[2] in groups, "agent has the group adm", str(groups))
    check(wait_for(lambda: len(read_stream("app-log")) == 100),
          "agent read the root:adm 0640 log and delivered its 100 lines",
          str(len(read_stream("app-log"))) + " " + sh("journalctl", "-u", unit, "--no-pager", "-n", "30", check_rc=False))
    check(sorted(read_stream("app-log"), key=lambda l: int(l.split()[1])) == [f"line {i}" for i in range(100)],
          "the lines are intact")
    out = sh("runuser", "-u", "tributary-agent", "--", "/usr/bin/tributary-agent", "status")
    check("flow kinesis:app-log" in out, "tributary-agent status answers", out[:200])

    # The sandbox, seen from inside the running service's own mount namespace and as its user:
    # nothing writable but the spool.
    probe = ("import os\nfor p in ['/etc/tributary/x', '/usr/bin/x', '/var/log/x', '/root/x', '/home/x']:\n"
             "    try:\n        open(p, 'w')\n        print('WROTE', p)\n    except OSError:\n        pass\n"
             "open('/var/lib/tributary-agent/probe', 'w')\nprint('spool ok')\n")
    agent_uid = sh("id", "-u", "tributary-agent").strip()
    done = subprocess.run(["nsenter", "--target", pid, "--mount", f"--setuid={agent_uid}",
                           f"--setgid={agent_uid}", "/usr/bin/python3", "-c", probe],
                          capture_output=True, text=True)
    if TIME_SCALE > 1 and "reassociate to namespace 'ns/mnt' failed: Invalid argument" in done.stderr:
        # qemu-user runs a helper thread of its own, and setns() into a mount namespace refuses
        # a multithreaded caller: nsenter cannot work in an emulated container.
        RESULT.write("SKIP in the agent's sandbox only the state directory is writable: "
                     "nsenter cannot join a mount namespace under qemu-user (its helper thread)\n")
    else:
        check("WROTE" not in done.stdout and "spool ok" in done.stdout,
              "in the agent's sandbox only the state directory is writable", done.stdout + done.stderr)
    if os.path.exists("/var/lib/tributary-agent/probe"):
        os.unlink("/var/lib/tributary-agent/probe")

    # Restart=on-failure: a crash is followed by a restart, and nothing is lost.
    old = prop(unit, "MainPID")
    os.kill(int(old), 9)
    check(wait_for(lambda: prop(unit, "ActiveState") == "active" and prop(unit, "MainPID") not in ("0", old)),
          "agent restarted after kill -9 (Restart=on-failure)", prop(unit, "ActiveState"))
    check(prop(unit, "NRestarts") == "1", "NRestarts is 1", prop(unit, "NRestarts"))
    with open("/var/log/trib-app.log", "a") as log:
        log.writelines(f"line {i}\n" for i in range(100, 150))
    check(wait_for(lambda: len(read_stream("app-log")) == 150), "lines written after the restart arrive once",
          str(len(read_stream("app-log"))))

    # A configuration error fails the start (Type=notify: no READY=1, exit 2) with the key named.
    good = open("/etc/tributary/agent.json").read()
    open("/etc/tributary/agent.json", "w").write(good.replace('"spoolMaxBytes": 268435456', '"spoolMaxBytes": -1'))
    failed = subprocess.run(["systemctl", "restart", unit], capture_output=True, text=True).returncode != 0
    journal = lambda: sh("journalctl", "-u", unit, "--no-pager", "-n", "20", check_rc=False)
    named = wait_for(lambda: "spoolMaxBytes" in journal(), timeout=10)  # journald writes asynchronously
    check(failed and named and prop(unit, "ExecMainStatus") == "2",
          "a bad configuration fails the start (exit 2) and names the key",
          f"failed={failed} status={prop(unit, 'ExecMainStatus')} {journal()[-600:]}")
    open("/etc/tributary/agent.json", "w").write(good)
    sh("systemctl", "reset-failed", unit, check_rc=False)
    sh("systemctl", "restart", unit)
    check(prop(unit, "ActiveState") == "active", "agent starts again with the good configuration")

    # Stop: clean exit.
    sh("systemctl", "stop", unit)
    check(prop(unit, "Result") == "success" and prop(unit, "ExecMainStatus") == "0", "agent stops cleanly",
          prop(unit, "Result") + " " + prop(unit, "ExecMainStatus"))
    sh("systemctl", "stop", "tributary-collector.service")
    check(prop("tributary-collector.service", "Result") == "success", "collector stops cleanly")

    # The service manager's own view of the sandbox.
    for u in ("tributary-agent.service", "tributary-collector.service"):
        out = sh("systemd-analyze", "security", "--no-pager", u, check_rc=False)
        level = [l for l in out.splitlines() if "Overall exposure level" in l]
        check(bool(level), f"systemd-analyze security {u}", level[0] if level else out[-300:])
        if level:
            note(True, level[0].strip())

    # Remove keeps the data; purge deletes it.
    sh("dpkg", "--remove", "tributary-agent", "tributary-collector")
    check(os.path.isdir("/var/lib/tributary-agent") and os.path.exists("/etc/tributary/agent.json"),
          "remove keeps configuration and spool")
    sh("dpkg", "--purge", "tributary-agent", "tributary-collector")
    check(not os.path.exists("/var/lib/tributary-agent") and not os.path.exists("/var/lib/tributary-collector")
          and not os.path.exists("/etc/tributary/agent.json"), "purge deletes configuration and data")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        note(False, "exception: " + traceback.format_exc().replace("\n", " | "))
    RESULT.write("done\n")
    RESULT.close()
    subprocess.run(["systemctl", "poweroff", "--no-block"])
