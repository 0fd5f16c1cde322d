#!/usr/bin/env bash
# bench/run.sh: the ingest benchmark in one run, printed as one table.
#
#   (a) the raw durable LMDB append rate of this machine (bench_lmdb_ceiling)
#   (b) tributary-collector, durable (default --sync), --throughput-limits=off, under
#       bench_put_load: records/s, MB/s, p50/p99 latency, collector CPU % and peak RSS
#   (c) the same load against kinesalite 3.3.3 (in-memory, no throughput limits, streams ACTIVE at
#       once as with --createStreamMs 0)
#   (d) GetRecords throughput from one shard of each
#   (e) bench_parse_cost: the CPU the JSON encoding alone costs per record, DOM vs direct
#
# Each measurement runs REPEAT times (default 3) on fresh processes and data; the table shows
# medians. Everything listens on 127.0.0.1, every step is bounded by `timeout`, and whatever the
# script started is stopped and its temporary directory removed on exit.
#
# Environment (all optional):
#   TRIB_COLLECTOR   collector binary (default: build/collector/tributary-collector, built here)
#   BUILD_DIR        CMake build directory (default: build)
#   DATA_PARENT      where the data directories go; the LMDB ceiling is measured there too, so it
#                    must be the collector's filesystem (default: /tmp)
#   REPEAT=3 CONNECTIONS=8 SHARDS=16 RECORDS=500 RECORD_BYTES=1024
#   TRIB_SECONDS=10 KL_SECONDS=5 LMDB_SECONDS=5 GET_LOAD_RECORDS=300000 KL_GET_LOAD_RECORDS=50000
#   SKIP_KINESALITE=1  skip (c) and kinesalite's (d)
#   SKIP_BUILD=1       use the binaries already in BUILD_DIR
#   COLLECTOR_ARGS     extra collector flags, e.g. "--threads 4"
#   QUIET_WAIT=120     before each measurement, wait up to this many seconds for the machine to
#                      be idle (under 20 % of one core busy), since other work skews every figure

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DATA_PARENT=${DATA_PARENT:-/tmp}
REPEAT=${REPEAT:-3}
CONNECTIONS=${CONNECTIONS:-8}
SHARDS=${SHARDS:-16}
RECORDS=${RECORDS:-500}
RECORD_BYTES=${RECORD_BYTES:-1024}
TRIB_SECONDS=${TRIB_SECONDS:-10}
KL_SECONDS=${KL_SECONDS:-5}
LMDB_SECONDS=${LMDB_SECONDS:-5}
GET_LOAD_RECORDS=${GET_LOAD_RECORDS:-300000}
KL_GET_LOAD_RECORDS=${KL_GET_LOAD_RECORDS:-50000}
SKIP_KINESALITE=${SKIP_KINESALITE:-0}

# Targets (see README.md).
T_RPS=150000 T_VS_KL=15 T_VS_CEIL=0.6 T_GET_MBPS=300

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# ---- build ------------------------------------------------------------------------------------
targets=(bench_put_load bench_lmdb_ceiling bench_parse_cost)
if [[ -z ${TRIB_COLLECTOR:-} ]]; then
    targets+=(tributary-collector)
    TRIB_COLLECTOR=$BUILD_DIR/collector/tributary-collector
fi
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    [[ -f $BUILD_DIR/CMakeCache.txt ]] || cmake -S "$ROOT" -B "$BUILD_DIR" >&2
    log "building ${targets[*]}"
    cmake --build "$BUILD_DIR" --target "${targets[@]}" >&2
fi
PUT_LOAD=$BUILD_DIR/bench/bench_put_load
CEILING=$BUILD_DIR/bench/bench_lmdb_ceiling
PARSE_COST=$BUILD_DIR/bench/bench_parse_cost
[[ -x $TRIB_COLLECTOR ]] || { log "no collector at $TRIB_COLLECTOR"; exit 1; }
if [[ $SKIP_KINESALITE != 1 && ! -f $ROOT/bench/node_modules/kinesalite/cli.js ]]; then
    log "installing kinesalite into bench/node_modules"
    (cd "$ROOT/bench" && timeout 300 npm ci --no-audit --no-fund >&2)
fi
KINESALITE_DIR=$ROOT/bench/node_modules/kinesalite

# ---- process bookkeeping ----------------------------------------------------------------------
WORK=$(mktemp -d "$DATA_PARENT/trib-bench.XXXXXX")
SERVER_PID=""

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port below the ephemeral range (so no client socket holds it) that no socket uses.
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 12000))
        if [[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]]; then echo "$p"; return; fi
    done
    log "no free port found"; exit 1
}

# Waits until `curl URL` gets any HTTP status in $2 (a regex), at most 30 s.
wait_http() {
    local url=$1 ok=$2 code
    for _ in $(seq 300); do
        kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited early"; return 1; }
        code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$url" || true)
        [[ $code =~ $ok ]] && return 0
        sleep 0.1
    done
    log "server at $url not ready after 30 s"; return 1
}

start_collector() {  # $1: name of this run
    local port attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        rm -rf "$WORK/$1.data"; mkdir -p "$WORK/$1.data"
        "$TRIB_COLLECTOR" --data-dir "$WORK/$1.data" --listen "127.0.0.1:$port" \
            --throughput-limits=off ${COLLECTOR_ARGS:-} >"$WORK/$1.log" 2>&1 &
        SERVER_PID=$!
        ENDPOINT=127.0.0.1:$port
        wait_http "http://$ENDPOINT/health" '^200$' && return 0
        tail -20 "$WORK/$1.log" >&2
        stop_server
    done
    exit 1
}

# kinesalite's CLI listens on every address; the same server and options (the CLI's
# --createStreamMs 0 --shardLimit 1000), bound to loopback only.
start_kinesalite() {
    local port attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        node -e "require(process.argv[1])({createStreamMs: 0, shardLimit: 1000})
                     .listen(+process.argv[2], '127.0.0.1')" "$KINESALITE_DIR" "$port" \
            >"$WORK/$1.log" 2>&1 &
        SERVER_PID=$!
        ENDPOINT=127.0.0.1:$port
        wait_http "http://$ENDPOINT/" '^[1-5][0-9][0-9]$' && return 0
        tail -20 "$WORK/$1.log" >&2
        stop_server
    done
    exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }  # all cores
now() { date +%s.%N; }

# Waits (at most QUIET_WAIT s) until the whole machine used under 20 % of one core over 1 s.
wait_quiet() {
    local deadline=$((SECONDS + ${QUIET_WAIT:-120})) b0 b1 hz pct
    hz=$(getconf CLK_TCK)
    while :; do
        b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
        pct=$(( (b1 - b0) * 100 / hz ))
        ((pct < 20)) && return 0
        if ((SECONDS >= deadline)); then
            log "machine still busy (${pct} % of one core used by others); measuring anyway"
            return 0
        fi
    done
}

# Runs bench_put_load against $ENDPOINT with server CPU and peak RSS sampling; appends the
# RESULT line plus server_cpu_pct, server_rss_mib, server_us_per_record (CPU time per successful
# record) and other_cpu_pct (CPU used by neither server nor client: a busy machine shows here)
# to $WORK/$1.results.
measure() {
    local name=$1 secs=$2; shift 2
    local hz t0 c0 b0 t1 c1 b1 out rss
    hz=$(getconf CLK_TCK)
    t0=$(now); c0=$(cpu_ticks "$SERVER_PID"); b0=$(busy_ticks)
    out=$(timeout $((secs + 120)) "$PUT_LOAD" --endpoint "$ENDPOINT" --connections "$CONNECTIONS" \
        --records "$RECORDS" --record-bytes "$RECORD_BYTES" --seconds "$secs" "$@") || {
        printf '%s\n' "$out" >&2; log "$name: bench_put_load failed"; }
    t1=$(now); c1=$(cpu_ticks "$SERVER_PID"); b1=$(busy_ticks)
    rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status")
    printf '%s\n' "$out" | grep -v '^RESULT' >&2
    local result rps client cpu extra
    result=$(printf '%s\n' "$out" | grep '^RESULT' || echo RESULT)
    rps=$(printf '%s\n' "$result" | tr ' ' '\n' | sed -n 's/^records_per_s=//p')
    client=$(printf '%s\n' "$result" | tr ' ' '\n' | sed -n 's/^client_cpu_pct=//p')
    extra=$(awk -v a="$c0" -v b="$c1" -v ba="$b0" -v bb="$b1" -v s="$t0" -v e="$t1" \
        -v hz="$hz" -v rps="${rps:-0}" -v client="${client:-0}" 'BEGIN {
            cpu = (b - a) / hz / (e - s) * 100; all = (bb - ba) / hz / (e - s) * 100
            printf "server_cpu_pct=%.0f other_cpu_pct=%.0f", cpu, all - cpu - client
            if (rps > 0) printf " server_us_per_record=%.1f", cpu / 100 * 1e6 / rps }')
    printf '%s %s server_rss_mib=%s\n' "$result" "$extra" "$rss" >>"$WORK/$name.results"
}

# Median of key $2 over the RESULT lines of $WORK/$1.results ("-" when absent).
median() {
    [[ -f $WORK/$1.results ]] || { echo -; return; }
    tr ' ' '\n' <"$WORK/$1.results" | sed -n "s/^$2=//p" | sort -g |
        awk '{v[NR] = $1} END {if (NR == 0) print "-"; else print v[int((NR + 1) / 2)]}'
}

# All values of key $2 in $WORK/$1.results, sorted, comma-separated.
values() {
    [[ -f $WORK/$1.results ]] || { echo -; return; }
    tr ' ' '\n' <"$WORK/$1.results" | sed -n "s/^$2=//p" | sort -g | paste -sd, -
}

# ---- (a) the LMDB ceiling ---------------------------------------------------------------------
for i in $(seq "$REPEAT"); do
    log "(a) LMDB ceiling, run $i/$REPEAT"
    wait_quiet
    out=$(timeout $((LMDB_SECONDS + 120)) "$CEILING" --dir "$WORK" --seconds "$LMDB_SECONDS") ||
        log "(a) bench_lmdb_ceiling failed"
    printf '%s\n' "$out" | grep -v '^RESULT' >&2
    printf '%s\n' "$out" | grep '^RESULT' >>"$WORK/lmdb.results"
    # The same with MDB_WRITEMAP, to show what skipping LMDB's writev copy would buy.
    out=$(timeout $((LMDB_SECONDS + 120)) "$CEILING" --dir "$WORK" --seconds "$LMDB_SECONDS" \
        --writemap) || log "(a) bench_lmdb_ceiling --writemap failed"
    printf '%s\n' "$out" | grep -v '^RESULT' >&2
    printf '%s\n' "$out" | grep '^RESULT' >>"$WORK/lmdb_wm.results"
    # Keys spread over $SHARDS shards in one database (no MDB_APPEND), and in one database each.
    for v in "il:--shards $SHARDS" "dbi:--shards $SHARDS --dbi-per-shard"; do
        # shellcheck disable=SC2086
        out=$(timeout $((LMDB_SECONDS + 120)) "$CEILING" --dir "$WORK" --seconds "$LMDB_SECONDS" \
            ${v#*:}) || log "(a) bench_lmdb_ceiling ${v#*:} failed"
        printf '%s\n' "$out" | grep -v '^RESULT' >&2
        printf '%s\n' "$out" | grep '^RESULT' >>"$WORK/lmdb_${v%%:*}.results"
    done
done

# ---- (b) tributary-collector, durable ---------------------------------------------------------
for i in $(seq "$REPEAT"); do
    log "(b) tributary-collector PutRecords, run $i/$REPEAT"
    start_collector "trib-put-$i"
    wait_quiet
    measure trib "$TRIB_SECONDS" --stream "bench$i" --shards "$SHARDS"
    stop_server
    rm -rf "$WORK/trib-put-$i.data"
done

# ---- (c) kinesalite ---------------------------------------------------------------------------
if [[ $SKIP_KINESALITE != 1 ]]; then
    for i in $(seq "$REPEAT"); do
        log "(c) kinesalite PutRecords, run $i/$REPEAT"
        start_kinesalite "kl-put-$i"
        wait_quiet
        measure kl "$KL_SECONDS" --stream "bench$i" --shards "$SHARDS"
        stop_server
    done
fi

# ---- (d) GetRecords from one shard ------------------------------------------------------------
for i in $(seq "$REPEAT"); do
    log "(d) tributary-collector GetRecords, run $i/$REPEAT"
    start_collector "trib-get-$i"
    wait_quiet
    measure trib_get 60 --mode getrecords --stream "get$i" --shards 1 \
        --load-records "$GET_LOAD_RECORDS"
    stop_server
    rm -rf "$WORK/trib-get-$i.data"
    if [[ $SKIP_KINESALITE != 1 ]]; then
        log "(d) kinesalite GetRecords, run $i/$REPEAT"
        start_kinesalite "kl-get-$i"
        wait_quiet
        measure kl_get 60 --mode getrecords --stream "get$i" --shards 1 \
            --load-records "$KL_GET_LOAD_RECORDS"
        stop_server
    fi
done

# ---- (e) encoding cost ------------------------------------------------------------------------
log "(e) JSON encoding cost on one core"
wait_quiet
PARSE_OUT=$(timeout 120 "$PARSE_COST" 1 | grep -v '^RESULT') || PARSE_OUT="(bench_parse_cost failed)"

# ---- the table --------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {if (v == "-") print "MISS (no figure)"; else print (v >= t ? "PASS" : "MISS")}'; }

c_rps=$(median lmdb records_per_s) c_mb=$(median lmdb mb_per_s)
c_commit=$(median lmdb commit_p50_ms) c_sync=$(median lmdb fdatasync_p50_us)
w_rps=$(median lmdb_wm records_per_s)
il_rps=$(median lmdb_il records_per_s) il_amp=$(median lmdb_il space_amplification)
dbi_rps=$(median lmdb_dbi records_per_s) dbi_amp=$(median lmdb_dbi space_amplification)
c_amp=$(median lmdb space_amplification)
t_rps=$(median trib records_per_s) t_mb=$(median trib mb_per_s) t_p50=$(median trib p50_ms)
t_p99=$(median trib p99_ms) t_cpu=$(median trib server_cpu_pct) t_rss=$(median trib server_rss_mib)
t_ccpu=$(median trib client_cpu_pct) t_err=$(median trib failed_records)
k_rps=$(median kl records_per_s) k_mb=$(median kl mb_per_s) k_p50=$(median kl p50_ms)
k_p99=$(median kl p99_ms) k_cpu=$(median kl server_cpu_pct) k_rss=$(median kl server_rss_mib)
k_ccpu=$(median kl client_cpu_pct) k_err=$(median kl failed_records)
t_us=$(median trib server_us_per_record) k_us=$(median kl server_us_per_record)
t_other=$(median trib other_cpu_pct) k_other=$(median kl other_cpu_pct)
tg_mb=$(median trib_get mb_per_s) tg_rss=$(median trib_get server_rss_mib)
kg_mb=$(median kl_get mb_per_s)
vs_kl=$(ratio "$t_rps" "$k_rps") vs_ceil=$(ratio "$t_rps" "$c_rps")

echo
echo "Tributary ingest benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, median of $REPEAT runs"
echo "load: $CONNECTIONS connections x PutRecords of $RECORDS x $RECORD_BYTES B, $SHARDS shards;" \
     "tributary ${TRIB_SECONDS} s, kinesalite ${KL_SECONDS} s; MB = 1e6 B of record payload"
echo
printf '%-22s %14s %14s %14s %12s %12s\n' "" "LMDB ceiling" "tributary" "kinesalite" "trib/kl" "trib/ceil"
printf '%-22s %14s %14s %14s %12s %12s\n' "records/s" "$c_rps" "$t_rps" "$k_rps" "$vs_kl" "$vs_ceil"
printf '%-22s %14s %14s %14s %12s %12s\n' "MB/s" "$c_mb" "$t_mb" "$k_mb" "$(ratio "$t_mb" "$k_mb")" "$(ratio "$t_mb" "$c_mb")"
printf '%-22s %14s %14s %14s\n' "p50 latency ms" "$c_commit" "$t_p50" "$k_p50"
printf '%-22s %14s %14s %14s\n' "p99 latency ms" "-" "$t_p99" "$k_p99"
printf '%-22s %14s %14s %14s\n' "server CPU %" "-" "$t_cpu" "$k_cpu"
printf '%-22s %14s %14s %14s\n' "peak RSS MiB" "-" "$t_rss" "$k_rss"
printf '%-22s %14s %14s %14s %12s\n' "server CPU us/record" "-" "$t_us" "$k_us" "$(ratio "$t_us" "$k_us")"
printf '%-22s %14s %14s %14s\n' "load client CPU %" "-" "$t_ccpu" "$k_ccpu"
printf '%-22s %14s %14s %14s\n' "other CPU % (noise)" "-" "$t_other" "$k_other"
printf '%-22s %14s %14s %14s\n' "failed records" "-" "$t_err" "$k_err"
printf '%-22s %14s %14s %14s %12s\n' "GetRecords MB/s" "-" "$tg_mb" "$kg_mb" "$(ratio "$tg_mb" "$kg_mb")"
echo "(LMDB ceiling p50 is the commit of one 1,000-record batch; fdatasync p50 ${c_sync} us;"
echo " with MDB_WRITEMAP the ceiling is ${w_rps} records/s; keys over $SHARDS shards in one"
echo " database ${il_rps} records/s at ${il_amp}x space, one database per shard ${dbi_rps} at"
echo " ${dbi_amp}x, plain append ${c_amp}x)"
echo "(records/s of each run: LMDB $(values lmdb records_per_s); tributary $(values trib records_per_s);"
echo " kinesalite $(values kl records_per_s))"
echo "(CPU % is of one core, so up to 200 %; GetRecords peak RSS of tributary: ${tg_rss} MiB)"
echo
echo "Targets"
printf '  %-40s %12s  %s\n' "durable records/s >= $T_RPS" "$t_rps" "$(verdict "$t_rps" "$T_RPS")"
printf '  %-40s %12s  %s\n' "tributary/kinesalite >= ${T_VS_KL}x" "$vs_kl" "$(verdict "$vs_kl" "$T_VS_KL")"
printf '  %-40s %12s  %s\n' "tributary/LMDB ceiling >= ${T_VS_CEIL}x" "$vs_ceil" "$(verdict "$vs_ceil" "$T_VS_CEIL")"
printf '  %-40s %12s  %s\n' "GetRecords one shard >= $T_GET_MBPS MB/s" "$tg_mb" "$(verdict "$tg_mb" "$T_GET_MBPS")"
echo
echo "JSON encoding cost alone (bench_parse_cost):"
printf '%s\n' "$PARSE_OUT" | sed 's/^/  /'
