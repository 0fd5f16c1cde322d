#!/usr/bin/env bash
# Tributary quickstart: builds the collector and the agent, starts Mosquitto and the collector on
# their embedded defaults (LMDB under a data directory), drives the collector with the real AWS
# CLI (create a stream, put records, read them back), then runs the fleet pipeline: an
# application log on the "device" is tailed by tributary-agent (a Kinesis Agent agent.json, a
# durable LMDB spool), shipped through the MQTT broker (binary batches, zstd, answered only
# after the collector's fsync, exactly once) and read back from the stream with the AWS CLI.
# Everything listens on 127.0.0.1 and stops on exit.
#
#   examples/quickstart.sh            (TRIB_DATA=dir to keep the data elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

packaging/install-build-deps.sh
echo "== building tributary-collector and tributary-agent"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target tributary-collector tributary-agent

data=${TRIB_DATA:-$root/quickstart-data}
mkdir -p "$data"
free_port() {  # the first of $1, $1+1, ... that nothing listens on
  local p=$1
  while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
port=$(free_port 4567)
endpoint=http://127.0.0.1:$port
log=$data/collector.log
mqtt_port=$(free_port 18830)
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)

# A loopback-only broker for the quickstart; examples/mosquitto/ is the production setup
# (mutual TLS, a certificate per device, ACLs).
cat > "$data/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $data/
log_dest stderr
CONF
echo "== starting Mosquitto on tcp://127.0.0.1:$mqtt_port"
"$mosquitto_bin" -c "$data/mosquitto.conf" 2>"$data/mosquitto.log" &
broker=$!
collector=""
agent=""
cleanup() {
  if [[ -n $agent ]]; then
    kill -TERM "$agent" 2>/dev/null; wait "$agent" 2>/dev/null
    echo "== agent stopped (log: $data/agent.log)"
  fi
  if [[ -n $collector ]]; then
    kill -TERM "$collector" 2>/dev/null; wait "$collector" 2>/dev/null
    echo "== collector stopped (log: $log)"
  fi
  kill -TERM $broker 2>/dev/null; wait $broker 2>/dev/null
  echo "== Mosquitto stopped (log: $data/mosquitto.log)"
}
trap cleanup EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$mqtt_port) 2>/dev/null && break
  sleep 0.1
done

echo "== starting the collector on $endpoint (data in $data), MQTT ingest from the broker"
build/collector/tributary-collector --data-dir "$data" --listen 127.0.0.1:$port \
  --mqtt-broker tcp://127.0.0.1:$mqtt_port 2>"$log" &
collector=$!
for _ in $(seq 100); do
  curl -fs "$endpoint/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$endpoint/health" >/dev/null || { cat "$log"; exit 1; }

aws=/usr/bin/aws
[[ -x $aws ]] || aws=aws
export AWS_ACCESS_KEY_ID=quickstart AWS_SECRET_ACCESS_KEY=quickstart AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
k() { "$aws" --endpoint-url "$endpoint" kinesis "$@"; }
binfmt=()
"$aws" --version 2>&1 | grep -q 'aws-cli/2' && binfmt=(--cli-binary-format raw-in-base64-out)

stream=quickstart-$(date +%s)
echo "== aws kinesis create-stream --stream-name $stream --shard-count 2"
k create-stream --stream-name "$stream" --shard-count 2
k wait stream-exists --stream-name "$stream"
k describe-stream-summary --stream-name "$stream" \
  --query 'StreamDescriptionSummary.{Name:StreamName,Status:StreamStatus,OpenShards:OpenShardCount,Retention:RetentionPeriodHours}' \
  --output table

echo "== putting 5 records (put-record, then put-records)"
for i in 1 2; do
  k put-record --stream-name "$stream" --partition-key "sensor-$i" \
    --data "{\"sensor\":$i,\"temp\":2$i.5}" "${binfmt[@]}" --output text
done
k put-records --stream-name "$stream" "${binfmt[@]}" --records '[
    {"Data": "{\"sensor\":3,\"temp\":19.0}", "PartitionKey": "sensor-3"},
    {"Data": "{\"sensor\":4,\"temp\":22.1}", "PartitionKey": "sensor-4"},
    {"Data": "{\"sensor\":5,\"temp\":18.7}", "PartitionKey": "sensor-5"}]' \
  --query '{Failed:FailedRecordCount,Records:Records[].[ShardId,SequenceNumber]}' --output table

echo "== reading every shard from TRIM_HORIZON"
total=0
for shard in $(k list-shards --stream-name "$stream" --query 'Shards[].ShardId' --output text); do
  it=$(k get-shard-iterator --stream-name "$stream" --shard-id "$shard" \
       --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
  while read -r pk payload; do
    [[ -n $pk ]] || continue
    printf '  %s  %-9s %s\n' "$shard" "$pk" "$(printf %s "$payload" | base64 -d)"
    total=$((total + 1))
  done < <(k get-records --shard-iterator "$it" --query 'Records[].[PartitionKey,Data]' --output text)
done
echo "== read $total records back"

echo "== a few of the collector's metrics ($endpoint/metrics)"
curl -fs "$endpoint/metrics" | grep -E '^tributary_store_incoming_records_total|^tributary_api_requests_total\{operation="PutRecords?",outcome="success"\}' || true
[[ $total -eq 5 ]] || { echo "expected 5 records, read $total" >&2; exit 1; }
echo "== the pipeline: an application log -> tributary-agent -> Mosquitto -> collector -> $stream"
device=$data/device-$stream
mkdir -p "$device/log"
app_log=$device/log/app.log
for i in $(seq 1 200); do
  printf '192.168.1.%d - - [26/Nov/2026:10:%02d:%02d +0000] "GET /sensor/%d HTTP/1.1" 200 %d\n' \
    $((i % 250)) $((i / 60 % 60)) $((i % 60)) "$i" $((100 + i))
done > "$app_log"
status_port=$(free_port $((port + 2)))
cat > "$device/agent.json" <<JSON
{
  "deviceId": "quickstart-device",
  "mqtt.broker": "tcp://127.0.0.1:$mqtt_port",
  "spoolDirectory": "$device/spool",
  "statusListen": "127.0.0.1:$status_port",
  "flows": [{
    "filePattern": "$device/log/app*.log",
    "kinesisStream": "$stream",
    "sink": "mqtt",
    "initialPosition": "START_OF_FILE",
    "maxBufferAgeMillis": 1000,
    "dataProcessingOptions": [{"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG"}]
  }]
}
JSON
echo "   $device/agent.json: a Kinesis Agent config plus \"sink\": \"mqtt\" (200 Apache log lines, LOGTOJSON)"
build/agent/tributary-agent --config "$device/agent.json" 2>"$data/agent.log" &
agent=$!
for _ in $(seq 150); do
  sent=$(curl -fs "127.0.0.1:$status_port/status" 2>/dev/null |
         grep -o '"records_sent": [0-9]*' | grep -o '[0-9]*$' || true)
  [[ ${sent:-0} -ge 200 ]] && break
  sleep 0.2
done
build/agent/tributary-agent status --status "127.0.0.1:$status_port" | sed 's/^/   /'
decode() { tr '\t' '\n' | while read -r d; do [[ -n $d ]] && printf '%s\n' "$(printf %s "$d" | base64 -d)"; done; }
shipped=0
example=""
for shard in $(k list-shards --stream-name "$stream" --query 'Shards[].ShardId' --output text); do
  it=$(k get-shard-iterator --stream-name "$stream" --shard-id "$shard" \
       --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
  lines=$(k get-records --shard-iterator "$it" --limit 10000 --query 'Records[].Data' --output text | decode |
          grep '"host"' || true)
  [[ -n $lines ]] || continue
  shipped=$((shipped + $(printf '%s\n' "$lines" | wc -l)))
  [[ -n $example ]] || example=$(printf '%s\n' "$lines" | head -1)
done
echo "== the stream holds $shipped log lines the agent parsed and shipped; one of them:"
echo "   $example"
echo "== the collector's MQTT ingest ($endpoint/metrics)"
curl -fs "$endpoint/metrics" | grep -E '^tributary_mqtt_(batches_total|records_stored_total)' | sed 's/^/   /' || true
[[ $shipped -eq 200 ]] || { echo "expected 200 lines from the agent, found $shipped" >&2; exit 1; }
echo "== done: the records are on disk in $data; rerun to add another stream"
