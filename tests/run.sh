#!/usr/bin/env bash
# Tributary's test command: installs what the tests need (Debian packages, npm test tools),
# configures and builds, then runs every test (unit, then integration against real clients:
# boto3, AWS CLI v1/v2, @aws-sdk/client-kinesis, kinesalite). Exits non-zero on any failure.
#
#   tests/run.sh              everything
#   tests/run.sh -L unit      only the unit tests (any ctest arguments are passed through)
#   TRIB_SANITIZE=1 tests/run.sh -L unit    unit tests under ASan+UBSan (separate build dir)
#   TRIB_SKIP_CROSS=1 tests/run.sh          without the cross smoke tier (see below)
#
# A full run (no ctest arguments, no sanitizers) ends with tests/cross/run.sh smoke: the agent
# built for arm64 and run under qemu-aarch64-static against the collector just built
# (docs/cross-build.md; the slow tier, both ARM architectures, is not run here).
#
# With exactly `-L unit` only the unit_tests target is built (the unit test executables and
# what they link: no binaries, benchmarks or HTTP server), so the sanitizer phase of CI does
# not compile the whole tree under ASan. Anything else builds everything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf '== %s\n' "$*"; }

# ccache (the top CMakeLists.txt uses it when installed): key objects by paths relative to the
# checkout and not by the build directory, so that a fresh clone elsewhere — CI's — reuses what
# an earlier build compiled. Debug info then names the first build's directories, which CI
# never reads. Callers' own settings win.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

# --- Debian packages ------------------------------------------------------------------------
packaging/install-build-deps.sh --test

# --- A Python that has boto3 (the image's, or Debian's python3-boto3) -------------------------
python=$(tests/python-with-boto3.sh)

# --- npm test tools (pinned by package-lock.json) ---------------------------------------------
if [[ ! -d tests/node/node_modules || tests/node/package-lock.json -nt tests/node/node_modules ]]; then
  log "npm ci (tests/node)"
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
  touch tests/node/node_modules
fi

# --- Build and test ---------------------------------------------------------------------------
build=${TRIB_BUILD_DIR:-$root/build}
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIB_PYTHON="$python")
if [[ ${TRIB_SANITIZE:-0} == 1 ]]; then
  build=${TRIB_BUILD_DIR:-$root/build-asan}
  cmake_args+=(-DTRIB_SANITIZE=ON)
fi
log "configure $build"
cmake -S "$root" -B "$build" "${cmake_args[@]}" >/dev/null
build_targets=()
if [[ $* == "-L unit" || $* == "--label-regex unit" ]]; then
  build_targets=(--target unit_tests)
fi
log "build ${build_targets[1]:-everything}"
cmake --build "$build" -j "$(nproc)" "${build_targets[@]}"
log "test"
cd "$build"
ctest --output-on-failure --timeout 600 -j 2 "$@"

# --- Cross smoke tier (arm64 under qemu-user) -------------------------------------------------
if [[ $# -eq 0 && ${TRIB_SANITIZE:-0} != 1 && ${TRIB_SKIP_CROSS:-0} != 1 ]]; then
  log "cross smoke tier (TRIB_SKIP_CROSS=1 skips it)"
  TRIB_COLLECTOR=$build/collector/tributary-collector "$root/tests/cross/run.sh" smoke
fi
