#!/usr/bin/env bash
# `make soak`: mixed load through nginx on the `make local-ha` topology (release binary, two
# processes of every role, a throwaway PostgreSQL cluster) while replicas are restarted and one
# is killed; requests and errors by status, jobs, and RSS over time go into the soak section of
# docs/benchmarks.md. Fails when a job is lost or a 5xx comes outside the deliberate kill.
#
#   SOAK_SECONDS=180  how long the load runs
#   SOAK_RESTART_EVERY=20  seconds between restarts
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${SOAK_SECONDS:-180}
RESTART_EVERY=${SOAK_RESTART_EVERY:-20}
DATASETS=${DATASETS:-$PWD/../shared/datasets}
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 2; }
if [ -z "${MLOPSD_BIN:-}" ]; then
    swift build -c release --product mlopsd --static-swift-stdlib >/dev/null
    MLOPSD_BIN="$(swift build -c release --show-bin-path)/mlopsd"
fi
export MLOPSD_BIN

WORK=$(mktemp -d)
chmod 0755 "$WORK"
export MLOPSD_LOCAL_DIR=$WORK/local MLOPSD_LOCAL_PORT_BASE=8300 MLOPSD_EDGE_PORT=8380 MLOPSD_LOCAL_POSTGRES_PORT=8732
export MLOPSD_LOCAL_REPLICAS=2
export JWT_SECRET_KEY=soak-secret-0123456789abcdefghijklmnopqr ADMIN_PASSWORD=soak-admin-password
# The load is the point, not the rate limits.
export NGINX_PREDICT_RATE=1000000r/s NGINX_PREDICT_BURST=100000 NGINX_GENERAL_RATE=100000r/s NGINX_GENERAL_BURST=100000
export NGINX_AUTH_RATE=100000r/s NGINX_AUTH_BURST=100000
unset MLOPSD_DATABASE_URL
cleanup() {
    deploy/local.sh down >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
deploy/local.sh up >/dev/null

EDGE=http://127.0.0.1:8380
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
ADMIN=$(curl -sf -X POST "$EDGE/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" | json '["access_token"]')
# A champion to predict with before the load starts.
dataset=$(curl -sf -X POST "$EDGE/api/v1/data/datasets?name=penguins" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: text/csv' --data-binary "@$DATASETS/penguins.csv" | json '["id"]')
wait_job() { # role id
    local status
    until status=$(curl -sf "$EDGE/api/v1/$1/status/$2" -H "Authorization: Bearer $ADMIN") && [[ $status == *'"completed"'* ]]; do
        [[ $status == *'"failed"'* ]] && { echo "$1 job failed: $status" >&2; exit 1; }
        sleep 0.2
    done
    printf '%s' "$status"
}
job=$(curl -sf -X POST "$EDGE/api/v1/data/preprocess" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"dataset_id\":\"$dataset\",\"target\":\"species\"}" | json '["job_id"]')
version=$(wait_job data "$job" | json '["result"]["version"]')
job=$(curl -sf -X POST "$EDGE/api/v1/train" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"processed_version\":\"$version\",\"experiment_name\":\"soak\",\"model_types\":[\"logistic_regression\"]}" | json '["job_id"]')
wait_job train "$job" >/dev/null
curl -sf -X POST "$EDGE/api/v1/train/fetch-best-model" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"experiment_name":"soak","metric":"accuracy"}' >/dev/null
for port in 8303 8313; do
    until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do sleep 0.1; done
done

python3 bench/soak.py "$EDGE" "$ADMIN_PASSWORD" "$MLOPSD_LOCAL_DIR" "$DATASETS" "$SECONDS_TOTAL" "$RESTART_EVERY" "$WORK/soak.json"
python3 bench/soak.py report "$WORK/soak.json" docs/benchmarks.md
echo "docs/benchmarks.md: soak section updated"
python3 - "$WORK/soak.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
problems = []
if r["lost_jobs"]:
    problems.append(f"lost jobs: {r['lost_jobs']}")
if r["errors_outside_kill"]:
    problems.append(f"5xx or no answer outside the kill: {r['errors_outside_kill']}")
if problems:
    sys.exit("soak: " + "; ".join(problems))
PY
