#!/usr/bin/env bash
# The dashboard's browser suite (tests/browser/dashboard_test.py) against a `--role all` server it
# starts from MLOPSD_BIN (default: the debug build), or against URL when one is given:
#   tests/browser/run.sh [URL ADMIN_PASSWORD]
# Needs Debian's chromium and chromium-driver; Selenium comes from PyPI into .venv-browser. The
# screenshots go to $SCREENSHOTS (default: a temporary directory, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-browser
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet selenium==4.27.1; }
screenshots=${SCREENSHOTS:-$(mktemp -d)}
if [ $# -ge 2 ]; then
    "$venv/bin/python" tests/browser/dashboard_test.py "$1" "$2" "$screenshots"
else
    work=$(mktemp -d)
    port=${PORT:-8790}
    password=browser-admin-password
    JWT_SECRET_KEY=browser-test-secret-0123456789abcdefghij ADMIN_PASSWORD=$password MLOPSD_PORT=$port \
        MLOPSD_DATA_DIR=$work/data MLOPSD_MODELS_DIR=$work/models MLOPSD_STATE_DIR=$work/state \
        "${MLOPSD_BIN:-.build/debug/mlopsd}" serve --role all >"$work/server.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
    MLOPSD_BROWSER_DIRECT=1 "$venv/bin/python" tests/browser/dashboard_test.py "http://127.0.0.1:$port" "$password" "$screenshots"
fi
echo "screenshots: $screenshots"
