#!/usr/bin/env python3
"""Checks the .deb packages of a cross build: the package says the target architecture, its
programs are ELF files for that machine, its Depends name the libraries the program links, and
its configuration is a conffile. Prints one line per check and the sizes; exits 1 on a failure.

    tests/cross/check_deb.py ARCH PACKAGE.deb...      (ARCH: arm64 or armhf)

The packages cannot be installed on the amd64 build machine; tests/packaging installs the
native ones, and the control files and maintainer scripts are the same for every architecture.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# ELF class (1 = 32-bit, 2 = 64-bit) and e_machine per Debian architecture.
MACHINES = {"arm64": (2, 183), "armhf": (1, 40), "amd64": (2, 62)}
# Libraries both programs link, and each program's own.
NEEDED = {
    "tributary-agent": ["libc6", "libstdc++6", "liblmdb0", "libssl3", "libpaho-mqtt1.3",
                        "libpaho-mqttpp3-1", "libzstd1", "libcpprest2.10", "libpcre2-8-0",
                        "libsimdjson14", "adduser", "init-system-helpers"],
    "tributary-collector": ["libc6", "libstdc++6", "liblmdb0", "libssl3", "libpaho-mqtt1.3",
                            "libpaho-mqttpp3-1", "libzstd1", "adduser", "init-system-helpers"],
}

failures = 0


def check(ok: bool, what: str) -> None:
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    failures += not ok


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], check=True, capture_output=True,
                          text=True).stdout.strip()


def main() -> int:
    arch, debs = sys.argv[1], [Path(p) for p in sys.argv[2:]]
    if arch not in MACHINES or not debs:
        print(__doc__, file=sys.stderr)
        return 2
    for deb in debs:
        package = field(deb, "Package")
        print(f"== {deb.name}: {deb.stat().st_size / 1e6:.2f} MB, installed "
              f"{int(field(deb, 'Installed-Size')) / 1024:.2f} MiB")
        check(field(deb, "Architecture") == arch, f"{package}: Architecture {arch}")
        depends = {d.split()[0] for d in field(deb, "Depends").split(", ")}
        missing = [n for n in NEEDED.get(package, []) if n not in depends]
        check(not missing, f"{package}: Depends names {', '.join(NEEDED.get(package, []))}"
              + (f" (missing: {', '.join(missing)})" if missing else ""))
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["dpkg-deb", "-x", str(deb), root], check=True)
            subprocess.run(["dpkg-deb", "-e", str(deb), f"{root}/DEBIAN"], check=True)
            program = Path(root) / "usr/bin" / package
            header = program.read_bytes()[:20]
            elf_class = header[4]
            machine = struct.unpack("<H", header[18:20])[0]
            check(header[:4] == b"\x7fELF" and (elf_class, machine) == MACHINES[arch],
                  f"{package}: /usr/bin/{package} is ELF class {elf_class} machine {machine}")
            conffiles = (Path(root) / "DEBIAN/conffiles").read_text().split()
            name = package.removeprefix("tributary-")
            check(conffiles == [f"/etc/tributary/{name}.json"], f"{package}: conffiles {conffiles}")
            check((Path(root) / f"lib/systemd/system/{package}.service").is_file(),
                  f"{package}: systemd unit")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
