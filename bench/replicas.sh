#!/usr/bin/env bash
# `make bench-replicas` (part of `make bench`): what replication on PostgreSQL does on this machine.
#
# The `make local-ha` topology (release binary, two processes of every role, a throwaway PostgreSQL
# cluster, nginx rendered from the one template) on its own ports. (1) Eight training jobs submitted
# at once to one train replica, first with the other train replica stopped, then with it running:
# makespan, jobs per minute, queue wait, which replica ran what. (2) Predictions per second with wrk
# through nginx to both predict replicas, and to one replica directly. The section replaces the
# replicas section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
JOBS=${JOBS:-8}
DATASETS=${DATASETS:-$PWD/../shared/datasets}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 2; }
swift build -c release --product mlopsd --static-swift-stdlib >/dev/null
BIN="$(swift build -c release --show-bin-path)/mlopsd"

WORK=$(mktemp -d)
chmod 0755 "$WORK"
export MLOPSD_LOCAL_DIR=$WORK/local MLOPSD_LOCAL_PORT_BASE=8200 MLOPSD_EDGE_PORT=8280 MLOPSD_LOCAL_POSTGRES_PORT=8632
export MLOPSD_LOCAL_REPLICAS=2 MLOPSD_BIN=$BIN
export JWT_SECRET_KEY=bench-replicas-secret-0123456789abcdefghij ADMIN_PASSWORD=bench-admin-password
export NGINX_PREDICT_RATE=1000000r/s NGINX_PREDICT_BURST=100000 NGINX_GENERAL_RATE=100000r/s NGINX_GENERAL_BURST=100000
unset MLOPSD_DATABASE_URL
cleanup() {
    deploy/local.sh down >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
deploy/local.sh up >/dev/null

EDGE=http://127.0.0.1:8280
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
login() {
    curl -sf -X POST "$EDGE/api/v1/auth/login" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json '["access_token"]'
}
ADMIN=$(login admin "$ADMIN_PASSWORD")
dataset=$(curl -sf -X POST "$EDGE/api/v1/data/datasets?name=crashes" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: text/csv' --data-binary "@$DATASETS/crashes.csv" | json '["id"]')
job=$(curl -sf -X POST "$EDGE/api/v1/data/preprocess" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"dataset_id\":\"$dataset\",\"target\":\"dead\",\"drop\":[\"caseid\",\"injSeverity\"]}" | json '["job_id"]')
until status=$(curl -sf "$EDGE/api/v1/data/status/$job" -H "Authorization: Bearer $ADMIN") && [[ $status == *'"completed"'* ]]; do
    [[ $status == *'"failed"'* ]] && { echo "preprocess failed: $status" >&2; exit 1; }
    sleep 0.2
done
version=$(printf '%s' "$status" | json '["result"]["version"]')

results=$WORK/results.jsonl
replica_one=http://127.0.0.1:8202/api/v1/train
kill -TERM "$(cat "$MLOPSD_LOCAL_DIR/run/train-2.pid")"
while kill -0 "$(cat "$MLOPSD_LOCAL_DIR/run/train-2.pid")" 2>/dev/null; do sleep 0.1; done
python3 bench/replicas.py jobs "$EDGE" "$ADMIN" "$version" "$JOBS" "$replica_one" "$MLOPSD_LOCAL_DIR/log" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); r["label"]="one"; print(json.dumps(r))' | tee -a "$results"
deploy/local.sh up >/dev/null    # starts the stopped replica again
python3 bench/replicas.py jobs "$EDGE" "$ADMIN" "$version" "$JOBS" "$replica_one" "$MLOPSD_LOCAL_DIR/log" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); r["label"]="two"; print(json.dumps(r))' | tee -a "$results"

curl -sf -X POST "$EDGE/api/v1/train/fetch-best-model" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{}' >/dev/null
curl -sf -X POST "$EDGE/api/v1/auth/users" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-user-password","email":"bench@example.com","role":"user"}' >/dev/null
export WRK_TOKEN
WRK_TOKEN=$(login bench bench-user-password)
for port in 8203 8213; do
    until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do sleep 0.1; done
done
python3 - "$MLOPSD_LOCAL_DIR/data/processed/$version/test.csv" "$WORK/one.json" <<'PY'
import csv, json, sys
def value(text):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text
with open(sys.argv[1], newline="") as handle:
    row = next(csv.DictReader(handle))
json.dump({"features": {k: value(v) for k, v in row.items() if k != "dead"}}, open(sys.argv[2], "w"))
PY
# shellcheck source=bench/wrk_measure.sh
source bench/wrk_measure.sh
tag() { python3 -c "import json,sys; r=json.load(sys.stdin); r.update(label='$1', title='$2', duration='$DURATION'); print(json.dumps(r))"; }
measure edge "$EDGE/api/v1/predict" "$WORK/one.json" 64 | tag edge-ha "nginx → 2 predict replicas" | tee -a "$results"
measure direct http://127.0.0.1:8203/api/v1/predict "$WORK/one.json" 64 | tag direct-one "1 predict replica, direct" | tee -a "$results"

python3 bench/replicas.py report "$results" docs/benchmarks.md
echo "docs/benchmarks.md: replicas section updated"
