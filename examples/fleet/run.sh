#!/usr/bin/env bash
# A simulated Tributary fleet on loopback: N tributary-agents (device ids pi-001, pi-002, ...,
# each with its own client certificate, spool and log writer) ship through one Mosquitto running
# examples/mosquitto's production config (mutual TLS, CN as username, the ACL) into one
# tributary-collector; then the stream is read back and a per-device table shows lines written,
# stored, missing, duplicated, out of order, the write-to-arrival lag and each agent's memory.
#
# It stops by itself. Everything it starts is stopped and its temporary directory removed on
# normal exit, on errors and on Ctrl-C (the EXIT trap below); --keep keeps the directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
  cat <<'EOF'
usage: examples/fleet/run.sh [--devices N] [--duration S] [--rate LINES_PER_S] [--keep]
                             [--agent PATH] [--collector PATH]

  --devices N       simulated devices, 1..999 (default 8)
  --duration S      seconds the devices write (default 30); then the agents drain and the
                    stream is read back
  --rate N          lines per second each device writes (default 200)
  --keep            keep the work directory (logs, spools, certificates, the collector's data)
  --agent PATH      tributary-agent binary     } default: $TRIB_AGENT / $TRIB_COLLECTOR, else
  --collector PATH  tributary-collector binary } the repo's build/, else /usr/bin (the .deb)

Needs mosquitto, openssl and python3 with boto3. Exit status: 0 when every line was stored
exactly once (and in order within its shard), 1 when not, 2 when it could not run.
EOF
}

die() { echo "run.sh: $*" >&2; exit 2; }

devices=8 duration=30 rate=200 keep=0 agent="" collector=""
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --devices|--duration|--rate|--agent|--collector)
      (($# >= 2)) || die "$1 needs a value"
      declare "${1#--}=$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done
[[ $devices =~ ^[1-9][0-9]{0,2}$ ]] || die "--devices must be 1..999"
[[ $duration =~ ^[1-9][0-9]{0,4}$ ]] || die "--duration must be a whole number of seconds"
[[ $rate =~ ^[1-9][0-9]{0,5}$ ]] || die "--rate must be a number of lines per second"

# binary NAME FLAG_VALUE ENV_VALUE BUILD_PATH: the first of --flag, $ENV, build/, /usr/bin.
binary() {
  local name=$1 flag=$2 env=$3 built=$repo/$4 path
  if [[ -n $flag ]]; then path=$flag
  elif [[ -n $env ]]; then path=$env
  elif [[ -x $built ]]; then path=$built
  elif [[ -x /usr/bin/$name ]]; then path=/usr/bin/$name
  else
    die "$name not found: build it (cmake -S . -B build && cmake --build build), install the" \
        ".deb packages, or give --${name#tributary-} PATH"
  fi
  [[ -x $path ]] || die "$name: $path is not an executable file"
  echo "$path"
}
agent=$(binary tributary-agent "$agent" "${TRIB_AGENT:-}" build/agent/tributary-agent)
collector=$(binary tributary-collector "$collector" "${TRIB_COLLECTOR:-}" \
            build/collector/tributary-collector)
[[ -x ${TRIB_MOSQUITTO:-/usr/sbin/mosquitto} ]] ||
  die "mosquitto is missing (apt install mosquitto)"
command -v openssl >/dev/null || die "openssl is missing (apt install openssl)"
python3 -c 'import boto3' 2>/dev/null ||
  die "python3 with boto3 is needed (apt install python3-boto3)"

work=$(mktemp -d "${TMPDIR:-/tmp}/trib-fleet.XXXXXX")
# Run as root, Mosquitto drops to its own user before it reads its certificates here: it must
# be able to traverse the directory (its own files inside are laid out for it).
chmod 0711 "$work"
py=""

# Stops fleet.py (which stops its processes), then anything it started that still runs (listed
# in $work/pids; a pid counts only while its command line names $work, so a reused pid is left
# alone), then removes $work unless --keep.
# shellcheck disable=SC2317  # reached through the EXIT trap, which shellcheck cannot follow
cleanup() {
  local status=$? pid _ deadline
  trap '' INT TERM HUP  # a second Ctrl-C must not cut the cleanup short
  if [[ -n $py ]] && kill -0 "$py" 2>/dev/null; then
    kill -TERM "$py" 2>/dev/null || true
    deadline=$((SECONDS + 40))  # agents, collector and broker each get harness.py's 10 s grace
    while kill -0 "$py" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$py" 2>/dev/null || true
    wait "$py" 2>/dev/null || true
  fi
  if [[ -f $work/pids ]]; then
    while read -r pid _; do
      if grep -qF "$work" "/proc/$pid/cmdline" 2>/dev/null; then
        echo "run.sh: stopping leftover process $pid" >&2
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$work/pids"
  fi
  if ((keep)); then
    echo "== kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "== work dir $work"
echo "== agent $agent"
echo "== collector $collector"
keep_flag=()
((keep)) && keep_flag=(--keep)
# In the background and waited for: bash runs a trap only between commands, so with fleet.py in
# the foreground a SIGTERM would wait for the whole run; `wait` returns at once.
PYTHONDONTWRITEBYTECODE=1 python3 "$here/fleet.py" --work "$work" --agent "$agent" \
  --collector "$collector" --devices "$devices" --duration "$duration" --rate "$rate" \
  "${keep_flag[@]}" &
py=$!
status=0
wait "$py" || status=$?
py=""
exit "$status"
