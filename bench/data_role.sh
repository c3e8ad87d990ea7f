#!/usr/bin/env bash
# The data role end to end on the release binary over loopback HTTP: upload (curl, as users send
# it), then the preprocess and build-features jobs. Job times are the server's own (from the 202
# to the "job finished" log line), so client polling does not count.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mlopsd >/dev/null 2>&1
BIN="$(swift build -c release --show-bin-path 2>/dev/null)/mlopsd"
DATASETS="$PWD/../shared/datasets"
WORK=$(mktemp -d)
PORT=${PORT:-8123}
export DEBUG=true JWT_SECRET_KEY=bench-secret-0123456789abcdefghijklmnop ADMIN_PASSWORD=bench-admin-pw MLOPSD_BCRYPT_COST=4
(cd "$WORK" && exec "$BIN" serve --role all --port "$PORT" 2>server.log >/dev/null) &
SERVER=$!
trap 'kill $SERVER; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
TOKEN=$(curl -s -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"bench-admin-pw"}' | json '["access_token"]')
API="http://127.0.0.1:$PORT/api/v1/data"
AUTH="Authorization: Bearer $TOKEN"
run_job() {
    local job
    job=$(curl -s -X POST "$API/$1" -H "$AUTH" -H 'Content-Type: application/json' -d "$2" | json '["job_id"]')
    until curl -s "$API/status/$job" -H "$AUTH" | grep -qE '"status":"(completed|failed)"'; do sleep 0.05; done
    curl -s "$API/status/$job" -H "$AUTH"
}

DATASET_ORDER="crashes diamonds penguins"
for spec in "crashes dead caseid" "diamonds price" "penguins species"; do
    read -r name target drop <<<"$spec"
    extra=""; [ -n "${drop:-}" ] && extra=",\"drop\":[\"$drop\"]"
    upload=$(curl -s -o "$WORK/upload.json" -w '%{time_total}' -X POST "$API/datasets?name=$name" -H "$AUTH" \
        -H 'Content-Type: text/csv' --data-binary "@$DATASETS/$name.csv")
    again=$(curl -s -o /dev/null -w '%{time_total}' -X POST "$API/datasets" -H "$AUTH" -F "file=@$DATASETS/$name.csv")
    id=$(json '["id"]' <"$WORK/upload.json")
    version=$(run_job preprocess "{\"dataset_id\":\"$id\",\"target\":\"$target\"$extra}" | json '["result"]["version"]')
    run_job build-features "{\"processed_version\":\"$version\"}" >/dev/null
    printf '%s (%s bytes): upload %.0f ms, identical re-upload (multipart) %.0f ms\n' \
        "$name" "$(stat -c %s "$DATASETS/$name.csv")" "$(echo "$upload * 1000" | bc)" "$(echo "$again * 1000" | bc)"
done
python3 - "$WORK/server.log" $DATASET_ORDER <<'PY'
import json, sys
from datetime import datetime
names = iter(name for name in sys.argv[2:] for _ in range(2))
submitted = {}
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    entry = json.loads(line)
    when = datetime.fromisoformat(entry["ts"].replace("Z", "+00:00"))
    if entry.get("msg") == "request" and entry.get("status") == 202:
        submitted["build_features" if entry["path"].endswith("build-features") else "preprocess"] = when
    elif entry.get("msg") == "job finished":
        print(f'{next(names)}: {entry["job_type"]} {(when - submitted[entry["job_type"]]).total_seconds() * 1000:.0f} ms from 202 to finished')
PY
