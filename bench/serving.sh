#!/usr/bin/env bash
# `make bench-serving` (part of `make bench`): the predict role under wrk, beside its peer, in one run.
#
# The split topology from deploy/local.sh (release binary, four roles, nginx rendered from the one
# template) trains a 300-round gradient boosting champion on crashes through the API, then wrk
# (2 threads, 64 connections, 15 s) posts one record at a time to (a) the predict role directly,
# (b) the same through nginx, (c) the original design's FastAPI + uvicorn service (2 workers) with
# the equivalent scikit-learn/LightGBM pipeline checking the same JWT, and (d) `nginx return 200`,
# the floor. Batches of 1,000 records are measured the same way. The table replaces the serving
# section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
DATASETS=${DATASETS:-$PWD/../shared/datasets}
VENV=.venv-serve
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 2; }
if [ ! -x "$VENV/bin/uvicorn" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet fastapi==0.136.0 "uvicorn[standard]==0.38.0" pyjwt==2.10.1 \
        scikit-learn==1.9.1 lightgbm==4.7.0 pandas==3.1.1 joblib
fi
# As the image builds it (Dockerfile): the Swift runtime linked in statically, which serves about
# 20% more requests per second than `swift build`'s shared runtime. Static Foundation networking
# links libcurl: Debian's libcurl4-openssl-dev.
swift build -c release --product mlopsd --static-swift-stdlib >/dev/null
BIN="$(swift build -c release --show-bin-path)/mlopsd"

WORK=$(mktemp -d)
export MLOPSD_LOCAL_DIR=$WORK/local MLOPSD_LOCAL_PORT_BASE=8100 MLOPSD_EDGE_PORT=8180 MLOPSD_BIN=$BIN
export JWT_SECRET_KEY=bench-serving-secret-0123456789abcdefghij ADMIN_PASSWORD=bench-admin-password
# The edge's predict zone is for real clients; the bench is one client sending as fast as it can.
export NGINX_PREDICT_RATE=1000000r/s NGINX_PREDICT_BURST=100000
PEER_PID=""
FLOOR_PID=""
cleanup() {
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null
    [ -n "$FLOOR_PID" ] && kill "$FLOOR_PID" 2>/dev/null
    deploy/local.sh down >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
deploy/local.sh up >/dev/null

EDGE=http://127.0.0.1:8180
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
login() {
    curl -sf -X POST "$EDGE/api/v1/auth/login" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json '["access_token"]'
}
ADMIN=$(login admin "$ADMIN_PASSWORD")
run_job() { # role path body → the job's result, as JSON
    local job status
    job=$(curl -sf -X POST "$EDGE/api/v1/$1$2" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$3" | json '["job_id"]')
    while :; do
        status=$(curl -sf "$EDGE/api/v1/$1/status/$job" -H "Authorization: Bearer $ADMIN")
        case $status in
        *'"status":"completed"'*) printf '%s' "$status" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]))'; return ;;
        *'"status":"failed"'* | *'"status":"cancelled"'*) echo "job failed: $status" >&2; exit 1 ;;
        esac
        sleep 0.2
    done
}

dataset=$(curl -sf -X POST "$EDGE/api/v1/data/datasets?name=crashes" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: text/csv' --data-binary "@$DATASETS/crashes.csv" | json '["id"]')
version=$(run_job data /preprocess "{\"dataset_id\":\"$dataset\",\"target\":\"dead\",\"drop\":[\"caseid\",\"injSeverity\"]}" | json '["version"]')
run_job train "" "{\"processed_version\":\"$version\",\"experiment_name\":\"serving\",\"model_types\":[\"gradient_boosting\"]}" >/dev/null
curl -sf -X POST "$EDGE/api/v1/train/fetch-best-model" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{}' >/dev/null
curl -sf -X POST "$EDGE/api/v1/auth/users" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-user-password","email":"bench@example.com","role":"user"}' >/dev/null
export WRK_TOKEN
WRK_TOKEN=$(login bench bench-user-password)
for _ in $(seq 100); do
    curl -sf -o /dev/null http://127.0.0.1:8103/ready && break
    sleep 0.1
done

# Bodies: the first held-out record, and the first 1,000 held-out records.
split="$MLOPSD_LOCAL_DIR/data/processed/$version"
python3 - "$split/test.csv" "$WORK" <<'PY'
import csv, json, sys
def value(text):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text
with open(sys.argv[1], newline="") as handle:
    rows = [{k: value(v) for k, v in row.items() if k != "dead"} for row in csv.DictReader(handle)]
json.dump({"features": rows[0]}, open(f"{sys.argv[2]}/one.json", "w"))
json.dump({"features_list": rows[:1000]}, open(f"{sys.argv[2]}/batch.json", "w"))
PY

# The peer, trained on the same split.
"$VENV/bin/python" bench/peer_serve.py train "$split/train.csv" dead "caseid,injSeverity" "$WORK/peer.joblib"
peer_started=$(date +%s.%N)
PEER_MODEL=$WORK/peer.joblib "$VENV/bin/uvicorn" --app-dir bench peer_serve:app --host 127.0.0.1 --port 8190 \
    --workers 2 --log-level warning --no-access-log >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
until curl -s -o /dev/null -X POST http://127.0.0.1:8190/api/v1/predict -H "Authorization: Bearer $WRK_TOKEN" \
    -H 'Content-Type: application/json' -d @"$WORK/one.json"; do sleep 0.05; done
peer_cold=$(python3 -c "import time; print(f'{time.time() - $peer_started:.1f}')")

# The floor: nginx answering 200 itself, with the edge's worker count.
mkdir -p "$WORK/floor/tmp"
cat >"$WORK/floor/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/floor/nginx.pid;
error_log $WORK/floor/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/floor/tmp;
    keepalive_requests 100000;
    server { listen 127.0.0.1:8181; location / { return 200 '{"status":"ok"}'; } }
}
EOF
nginx -p "$WORK/floor" -c "$WORK/floor/nginx.conf" -g 'daemon off;' &
FLOOR_PID=$!
sleep 0.5

# Both answer the same record the same way before they are timed.
curl -sf -X POST http://127.0.0.1:8103/api/v1/predict -H "Authorization: Bearer $WRK_TOKEN" -H 'Content-Type: application/json' -d @"$WORK/one.json" >"$WORK/ours.json"
curl -sf -X POST http://127.0.0.1:8190/api/v1/predict -H "Authorization: Bearer $WRK_TOKEN" -H 'Content-Type: application/json' -d @"$WORK/one.json" >"$WORK/peer.json"
echo "mlopsd: $(cat "$WORK/ours.json")"
echo "peer:   $(cat "$WORK/peer.json")"

# shellcheck source=bench/wrk_measure.sh
source bench/wrk_measure.sh
results=()
results+=("$(measure "mlopsd predict role, direct" http://127.0.0.1:8103/api/v1/predict "$WORK/one.json" "$CONNECTIONS")")
results+=("$(measure "mlopsd predict role, through nginx" "$EDGE/api/v1/predict" "$WORK/one.json" "$CONNECTIONS")")
results+=("$(measure "FastAPI + uvicorn, 2 workers (peer)" http://127.0.0.1:8190/api/v1/predict "$WORK/one.json" "$CONNECTIONS")")
results+=("$(measure "nginx return 200 (floor)" http://127.0.0.1:8181/ "$WORK/one.json" "$CONNECTIONS")")
results+=("$(measure "mlopsd batch of 1,000, direct" http://127.0.0.1:8103/api/v1/predict/batch "$WORK/batch.json" 4)")
results+=("$(measure "FastAPI batch of 1,000 (peer)" http://127.0.0.1:8190/api/v1/predict/batch "$WORK/batch.json" 4)")
printf '%s\n' "${results[@]}"

rss() { ps -o rss= -p "$1" | awk '{s+=$1} END {printf "%.0f", s/1024}'; }
ours_rss=$(rss "$(cat "$MLOPSD_LOCAL_DIR/run/predict.pid")")
peer_rss=$(rss "$PEER_PID,$(pgrep -d, -P "$PEER_PID")")

printf '%s\n' "${results[@]}" | python3 bench/serving_report.py --ours-rss "$ours_rss" --peer-rss "$peer_rss" \
    --peer-cold "$peer_cold" --duration "$DURATION" --connections "$CONNECTIONS" --doc docs/benchmarks.md
