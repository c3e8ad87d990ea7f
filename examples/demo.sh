#!/usr/bin/env bash
# `make demo`: every role in one process on a temporary state directory, then the whole path with
# `mlopsd client`: log in, upload examples/crashes.csv, preprocess, build features, train three
# model types, promote the best, predict. The server stops at the end; nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MLOPSD_BIN:-$PWD/.build/release/mlopsd}
if [ ! -x "$BIN" ]; then
    echo "building the release binary (a few minutes the first time)…"
    swift build -c release --product mlopsd >/dev/null
fi
WORK=$(mktemp -d)
PORT=${DEMO_PORT:-8765}
export MLOPSD_URL=http://127.0.0.1:$PORT MLOPSD_CONFIG_DIR=$WORK/client
PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
(cd "$WORK" && DEBUG=true ADMIN_PASSWORD=$PASSWORD MLOPSD_PREDICT_RELOAD_MS=200 exec "$BIN" serve --role all --port "$PORT" >server.log 2>&1) &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "$MLOPSD_URL/health" && break; sleep 0.1; done
started=$SECONDS

# The command line goes to standard error, like the client's progress, so it shows before them.
step() {
    printf '\n$ mlopsd client %s\n' "$*" >&2
    "$BIN" client "$@"
}
# Runs a step, shows its output, and prints the first id of the given prefix in it.
step_id() { # prefix args…
    local prefix=$1 output
    shift
    output=$(step "$@")
    printf '%s\n' "$output" >&2
    grep -o "$prefix-[0-9a-f]\{16\}" <<<"$output" | head -1
}
step login --username admin <<<"$PASSWORD"
DATASET=$(step_id ds datasets upload examples/crashes.csv --name crashes)
PROCESSED=$(step_id pp preprocess --dataset "$DATASET" --target dead --drop caseid,injSeverity --wait)
FEATURES=$(step_id fs features --version "$PROCESSED" --wait)
step train --features "$FEATURES" --models logistic_regression,random_forest,gradient_boosting --experiment crashes --wait
step promote --metric f1
# The champion reaches the predict role within one poll of champion.json.
for _ in $(seq 50); do "$BIN" client predict --input examples/crash.json >/dev/null 2>&1 && break; sleep 0.1; done
step predict --input examples/crash.json
step predict --input examples/crashes-sample.csv
printf "\ndemo finished in %d s\n" "$((SECONDS - started))"
