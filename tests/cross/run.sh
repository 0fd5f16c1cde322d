#!/usr/bin/env bash
# Cross builds of Tributary for ARM devices, tested under qemu-user (docs/cross-build.md).
#
#   tests/cross/run.sh [smoke]   arm64 only: install the cross deps, build tributary-agent in
#                                build-aarch64/, run the smoke test (the agent under
#                                qemu-aarch64-static shipping to a native collector), make and
#                                check its .deb. CI runs this.
#   tests/cross/run.sh slow      arm64 and armhf: every unit test under qemu, the smoke test for
#                                both, the collector built for arm64 (its unit tests too), the
#                                .deb packages of both, checked, and the arm64 ones installed
#                                and run under systemd in an emulated arm64 Debian container
#                                (tests/packaging/systemd_boot_test.sh; root, binfmt_misc).
#
# Environment:
#   TRIB_COLLECTOR   native tributary-collector for the smoke test (default build/collector/
#                    tributary-collector, built there first if it is missing)
#   TRIB_CROSS_ARCHES  the slow tier's architectures (default "arm64 armhf")
#   TRIB_SYSROOT     armhf sysroot (default ${XDG_CACHE_HOME:-~/.cache}/tributary/sysroot-armhf)
#   JOBS             parallel compile jobs (default 2)
#
# Build directories (build-aarch64/, build-armhf/) sit at the repository root, like build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
tier=${1:-smoke}
jobs=${JOBS:-2}

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
case $tier in smoke|slow) ;; -h|--help) usage ;; *) echo "unknown tier '$tier'" >&2; usage ;; esac

log() { printf '== %s\n' "$*"; }
# As tests/run.sh: ccache entries reusable across checkouts.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
started=$SECONDS
timings=()
phase() {  # phase NAME COMMAND...: runs it and records how long it took
  local name=$1 t0=$SECONDS
  shift
  log "$name"
  "$@"
  timings+=("$(printf '%-44s %4d s' "$name" $((SECONDS - t0)))")
}
report() {
  local rc=$?
  ((${#timings[@]})) && printf '== cross %s tier, %d s in all:\n%s\n' "$tier" \
    $((SECONDS - started)) "$(printf '   %s\n' "${timings[@]}")"
  exit $rc
}
trap report EXIT

# --- a Python with boto3, as tests/run.sh finds it --------------------------------------------
python=$(tests/python-with-boto3.sh)

# --- per architecture -------------------------------------------------------------------------
build_dir() { [[ $1 == arm64 ]] && echo "$root/build-aarch64" || echo "$root/build-armhf"; }
toolchain() {
  [[ $1 == arm64 ]] && echo "$root/cmake/toolchains/aarch64-linux-gnu.cmake" ||
    echo "$root/cmake/toolchains/arm-linux-gnueabihf.cmake"
}
emulator() {
  if [[ $1 == arm64 ]]; then echo qemu-aarch64-static
  else echo "qemu-arm-static -L ${TRIB_SYSROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary/sysroot-armhf}"
  fi
}

configure() {  # configure ARCH COLLECTOR(ON|OFF)
  local args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_TOOLCHAIN_FILE="$(toolchain "$1")"
              -DTRIB_BUILD_COLLECTOR="$2" -DTRIB_PYTHON="$python")
  [[ $1 == armhf && -n ${TRIB_SYSROOT:-} ]] && args+=(-DTRIB_SYSROOT="$TRIB_SYSROOT")
  # The agent's HTTPS sink test starts a collector, which qemu-user can only do with a native one.
  [[ $2 == ON ]] && args+=(-DTRIB_HOST_COLLECTOR="$collector")
  # TRIB_PYTHON is read only where the integration suites are: not in an agent-only build.
  cmake -S "$root" -B "$(build_dir "$1")" --no-warn-unused-cli "${args[@]}" >/dev/null
}

native_collector() {
  collector=${TRIB_COLLECTOR:-$root/build/collector/tributary-collector}
  [[ -x $collector ]] && collector=$(realpath "$collector")
  if [[ ! -x $collector ]]; then
    [[ -z ${TRIB_COLLECTOR:-} ]] || { echo "TRIB_COLLECTOR=$collector is not executable" >&2; exit 1; }
    packaging/install-build-deps.sh
    cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$root/build" -j "$jobs" --target tributary-collector
  fi
}

smoke() {  # smoke ARCH
  TRIB_COLLECTOR=$collector TRIB_CROSS_AGENT="$(build_dir "$1")/agent/tributary-agent" \
    TRIB_CROSS_EMULATOR="$(emulator "$1")" PYTHONDONTWRITEBYTECODE=1 \
    "$python" -m unittest -v tests/cross/test_cross_smoke.py
}

package() {  # package ARCH: the .deb files of what was built, checked (tests/cross/check_deb.py)
  local dir; dir=$(build_dir "$1")
  rm -rf "$dir/packages"
  (cd "$dir" && cpack >/dev/null 2>&1)
  "$python" "$root/tests/cross/check_deb.py" "$1" "$dir"/packages/*.deb
}

phase "native collector" native_collector
if [[ $tier == smoke ]]; then
  phase "install cross deps (arm64)" packaging/install-cross-deps.sh arm64
  phase "configure build-aarch64" configure arm64 OFF
  phase "build tributary-agent (arm64)" \
    cmake --build "$(build_dir arm64)" -j "$jobs" --target tributary-agent
  phase "smoke test (arm64, qemu)" smoke arm64
  phase "package and check the .deb (arm64)" package arm64
  exit 0
fi

for arch in ${TRIB_CROSS_ARCHES:-arm64 armhf}; do
  if [[ $arch == armhf && -n ${TRIB_SYSROOT:-} ]]; then
    phase "install cross deps ($arch)" packaging/install-cross-deps.sh --sysroot "$TRIB_SYSROOT" armhf
  else
    phase "install cross deps ($arch)" packaging/install-cross-deps.sh "$arch"
  fi
  # The collector is built for arm64 (a Pi 4/5 can host a small fleet's); armhf is for agents.
  phase "configure $(basename "$(build_dir "$arch")")" \
    configure "$arch" "$([[ $arch == arm64 ]] && echo ON || echo OFF)"
  phase "build everything ($arch)" cmake --build "$(build_dir "$arch")" -j "$jobs"
  # CMAKE_CROSSCOMPILING_EMULATOR (the toolchain file) runs every test binary under qemu.
  phase "ctest under qemu ($arch)" \
    ctest --test-dir "$(build_dir "$arch")" --output-on-failure --timeout 600 -j 2
  phase "smoke test ($arch, qemu)" smoke "$arch"
  phase "package and check the .debs ($arch)" package "$arch"
  # Both packages under a real systemd in an emulated arm64 Debian (armhf has no collector).
  if [[ $arch == arm64 ]]; then
    phase "the .debs under systemd (arm64 container)" \
      bash "$root/tests/packaging/systemd_boot_test.sh" "$(build_dir arm64)" arm64
  fi
done
