#!/usr/bin/env bash
# The data and train roles end to end on the release binary over loopback HTTP: upload (curl, as
# users send it), the preprocess and build-features jobs, then a training job with three model
# types (embedded tracker). Job times are the server's own (from the 202 to the "job finished" log
# line), so client polling does not count; fit times per model come from the leaderboard.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mlopsd --static-swift-stdlib >/dev/null 2>&1
BIN="$(swift build -c release --show-bin-path 2>/dev/null)/mlopsd"
DATASETS="$PWD/../shared/datasets"
WORK=$(mktemp -d)
PORT=${PORT:-8123}
export DEBUG=true JWT_SECRET_KEY=bench-secret-0123456789abcdefghijklmnop ADMIN_PASSWORD=bench-admin-pw MLOPSD_BCRYPT_COST=4
unset MLFLOW_TRACKING_URI
(cd "$WORK" && exec "$BIN" serve --role all --port "$PORT" 2>server.log >/dev/null) &
SERVER=$!
trap 'kill $SERVER; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
TOKEN=$(curl -s -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"bench-admin-pw"}' | json '["access_token"]')
AUTH="Authorization: Bearer $TOKEN"
run_job() { # role path body → final job record
    local job
    job=$(curl -s -X POST "http://127.0.0.1:$PORT/api/v1/$1$2" -H "$AUTH" -H 'Content-Type: application/json' -d "$3" | json '["job_id"]')
    until curl -s "http://127.0.0.1:$PORT/api/v1/$1/status/$job" -H "$AUTH" | grep -qE '"status":"(completed|failed)"'; do sleep 0.05; done
    curl -s "http://127.0.0.1:$PORT/api/v1/$1/status/$job" -H "$AUTH"
}

ORDER=""
for spec in "crashes dead caseid logistic_regression" "diamonds price - linear_regression" "penguins species - logistic_regression"; do
    read -r name target drop linear <<<"$spec"
    extra=""; [ "$drop" != "-" ] && extra=",\"drop\":[\"$drop\"]"
    upload=$(curl -s -o "$WORK/upload.json" -w '%{time_total}' -X POST "http://127.0.0.1:$PORT/api/v1/data/datasets?name=$name" \
        -H "$AUTH" -H 'Content-Type: text/csv' --data-binary "@$DATASETS/$name.csv")
    again=$(curl -s -o /dev/null -w '%{time_total}' -X POST "http://127.0.0.1:$PORT/api/v1/data/datasets" -H "$AUTH" -F "file=@$DATASETS/$name.csv")
    id=$(json '["id"]' <"$WORK/upload.json")
    printf '%s (%s bytes): upload %.0f ms, identical re-upload (multipart) %.0f ms\n' \
        "$name" "$(stat -c %s "$DATASETS/$name.csv")" "$(echo "$upload * 1000" | bc)" "$(echo "$again * 1000" | bc)"
    version=$(run_job data /preprocess "{\"dataset_id\":\"$id\",\"target\":\"$target\"$extra}" | json '["result"]["version"]')
    run_job data /build-features "{\"processed_version\":\"$version\"}" >/dev/null
    ORDER="$ORDER $name $name"
    [ "$name" = penguins ] && continue
    run_job train "" "{\"processed_version\":\"$version\",\"experiment_name\":\"$name\",\"model_types\":[\"$linear\",\"random_forest\",\"gradient_boosting\"]}" \
        | NAME=$name python3 -c '
import json, os, sys
result = json.load(sys.stdin)["result"]
for entry in result["leaderboard"]:
    metric = result["metric"]
    print("%s: %s fit %.3f s, %s %.4f" % (os.environ["NAME"], entry["model_type"], entry["fit_seconds"], metric, entry["metrics"][metric]))'
    ORDER="$ORDER $name"
done

# Server-side job durations, in the order the jobs were submitted.
python3 - "$WORK/server.log" $ORDER <<'PY'
import json, sys
from datetime import datetime
names = iter(sys.argv[2:])
submitted = []
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    entry = json.loads(line)
    when = datetime.fromisoformat(entry["ts"].replace("Z", "+00:00"))
    if entry.get("msg") == "request" and entry.get("status") == 202:
        submitted.append(when)
    elif entry.get("msg") == "job finished":
        started = submitted.pop(0)
        print(f'{next(names)}: {entry["job_type"]} job {(when - started).total_seconds() * 1000:.0f} ms from 202 to finished')
PY
