"""Start a server (the collector, or kinesalite with TRIB_TARGET=kinesalite) and run
sdk_js.test.mjs against it with `node --test`; the exit code is node's.

Exits 0 with a "skipped" line when tests/node/node_modules is missing, so that a build without
`npm ci` still passes; the top-level test script installs the packages before ctest.
    python3 node_suite.py [path/to/node]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness import NODE_DIR, start_target

HERE = Path(__file__).resolve().parent
NODE_TIMEOUT_S = 120


def main() -> int:
    node = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("TRIB_NODE") \
        or shutil.which("node")
    if not node:
        print("skipped: node not found")
        return 0
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major = int(version.lstrip("v").split(".")[0] or 0) if version else 0
    if major < 20:
        # @aws-sdk/client-kinesis 3.x declares engines.node >= 20; Debian 12 ships Node 18.
        print(f"skipped: @aws-sdk/client-kinesis needs Node.js >= 20, found {version or 'none'}")
        return 0
    if not (NODE_DIR / "node_modules" / "@aws-sdk" / "client-kinesis").is_dir():
        print(f"skipped: {NODE_DIR}/node_modules missing (run `npm ci` in {NODE_DIR})")
        return 0
    with start_target("--throughput-limits=off") as server:
        env = {**os.environ, "TRIB_ENDPOINT": server.endpoint}
        try:
            proc = subprocess.run([node, "--test", str(HERE / "sdk_js.test.mjs")], env=env,
                                  timeout=NODE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            print(f"node --test did not finish in {NODE_TIMEOUT_S} s", file=sys.stderr)
            server.print_tail()
            return 1
        if proc.returncode != 0:
            server.print_tail()
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
