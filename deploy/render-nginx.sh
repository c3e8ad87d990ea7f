#!/bin/sh
# Renders nginx.conf (a template, at the repository root) to stdout. POSIX sh: it runs inside the
# nginx container in compose and on the host for `make local`. Every setting has a default fit for
# compose (an empty value counts as unset); the values are checked before they reach the
# configuration, so the environment cannot inject nginx directives.
set -eu
template=${1:-$(dirname "$0")/../nginx.conf}

: "${NGINX_LISTEN:=8080}"
: "${NGINX_WORKER_PROCESSES:=auto}"
: "${NGINX_PID_PATH:=/tmp/nginx.pid}"
: "${NGINX_ERROR_LOG:=/dev/stderr}"
: "${NGINX_ACCESS_LOG:=/dev/stdout}"
: "${NGINX_TEMP_DIR:=/tmp}"
: "${MLOPSD_DATA_UPSTREAM:=data:8001}"
: "${MLOPSD_TRAIN_UPSTREAM:=train:8002}"
: "${MLOPSD_PREDICT_UPSTREAM:=predict:8003}"
: "${MLOPSD_AUTH_UPSTREAM:=auth:8004}"
: "${MLOPSD_MAX_BODY_BYTES:=1048576}"
: "${MLOPSD_MAX_UPLOAD_BYTES:=1073741824}"
: "${MLOPSD_PREDICT_MAX_BATCH_BYTES:=33554432}"
: "${NGINX_AUTH_RATE:=5r/s}"
: "${NGINX_AUTH_BURST:=10}"
: "${NGINX_GENERAL_RATE:=10r/s}"
: "${NGINX_GENERAL_BURST:=20}"
: "${NGINX_PREDICT_RATE:=30r/s}"
: "${NGINX_PREDICT_BURST:=60}"
: "${NGINX_ASSETS_RATE:=20r/s}"
: "${NGINX_ASSETS_BURST:=40}"
: "${MLOPSD_CORS_ORIGINS:=}"
: "${NGINX_TRUSTED_PROXIES:=}"

fail() {
    echo "render-nginx: $1" >&2
    exit 2
}
newline='
'
matches() { # value extended-regex; one line only (grep -x would accept any one matching line)
    case $1 in *"$newline"*) return 1 ;; esac
    printf '%s\n' "$1" | grep -Eqx "$2"
}

matches "$NGINX_LISTEN" '([0-9.]+:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}' || fail "NGINX_LISTEN must be a port or address:port, got '$NGINX_LISTEN'"
matches "$NGINX_WORKER_PROCESSES" 'auto|[0-9]{1,3}' || fail "NGINX_WORKER_PROCESSES must be auto or a number"
# An upstream setting, one host:port or several separated by commas: its `server` lines.
servers() { # name value options
    matches "$2" '[A-Za-z0-9.-]+:[0-9]{1,5}(,[A-Za-z0-9.-]+:[0-9]{1,5})*' \
        || fail "$1 must be host:port, or several separated by commas, got '$2'"
    printf '%s\n' "$2" | tr ',' '\n' | while read -r server; do
        printf '        server %s%s;\n' "$server" "$3"
    done
}
NGINX_DATA_SERVERS=$(servers MLOPSD_DATA_UPSTREAM "$MLOPSD_DATA_UPSTREAM" "")
NGINX_TRAIN_SERVERS=$(servers MLOPSD_TRAIN_UPSTREAM "$MLOPSD_TRAIN_UPSTREAM" "")
NGINX_PREDICT_SERVERS=$(servers MLOPSD_PREDICT_UPSTREAM "$MLOPSD_PREDICT_UPSTREAM" " max_fails=3 fail_timeout=5s")
NGINX_AUTH_SERVERS=$(servers MLOPSD_AUTH_UPSTREAM "$MLOPSD_AUTH_UPSTREAM" "")
for name in MLOPSD_MAX_BODY_BYTES MLOPSD_MAX_UPLOAD_BYTES MLOPSD_PREDICT_MAX_BATCH_BYTES NGINX_AUTH_BURST NGINX_GENERAL_BURST NGINX_PREDICT_BURST NGINX_ASSETS_BURST; do
    eval "value=\$$name"
    matches "$value" '[0-9]{1,12}' || fail "$name must be a whole number, got '$value'"
done
for name in NGINX_AUTH_RATE NGINX_GENERAL_RATE NGINX_PREDICT_RATE NGINX_ASSETS_RATE; do
    eval "value=\$$name"
    matches "$value" '[0-9]{1,7}r/[sm]' || fail "$name must look like 30r/s or 600r/m, got '$value'"
done
for name in NGINX_PID_PATH NGINX_ERROR_LOG NGINX_ACCESS_LOG NGINX_TEMP_DIR; do
    eval "value=\$$name"
    matches "$value" '/[A-Za-z0-9._/-]*' || fail "$name must be an absolute path, got '$value'"
done

# NGINX_TRUSTED_PROXIES: comma-separated addresses or CIDRs of proxies in front of the edge, whose
# X-Forwarded-For names the client.
NGINX_REAL_IP_CONFIG=""
old_ifs=$IFS
IFS=,
for proxy in $NGINX_TRUSTED_PROXIES; do
    proxy=$(printf '%s' "$proxy" | tr -d ' ')
    [ -z "$proxy" ] && continue
    matches "$proxy" '[0-9A-Fa-f.:]+(/[0-9]{1,3})?' || fail "NGINX_TRUSTED_PROXIES: '$proxy' is not an address or CIDR"
    NGINX_REAL_IP_CONFIG="$NGINX_REAL_IP_CONFIG        set_real_ip_from $proxy;
"
done
IFS=$old_ifs
if [ -n "$NGINX_REAL_IP_CONFIG" ]; then
    NGINX_REAL_IP_CONFIG="${NGINX_REAL_IP_CONFIG}        real_ip_header X-Forwarded-For;
        real_ip_recursive on;
"
fi

# MLOPSD_CORS_ORIGINS: comma-separated origins (scheme://host[:port]) allowed to call the API
# from a browser; one exact-match map entry each.
NGINX_CORS_ORIGIN_MAP=""
old_ifs=$IFS
IFS=,
for origin in $MLOPSD_CORS_ORIGINS; do
    origin=$(printf '%s' "$origin" | tr -d ' ')
    [ -z "$origin" ] && continue
    matches "$origin" 'https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?' || fail "MLOPSD_CORS_ORIGINS: '$origin' is not an origin like https://app.example.com"
    NGINX_CORS_ORIGIN_MAP="$NGINX_CORS_ORIGIN_MAP        \"$origin\" \$http_origin;
"
done
IFS=$old_ifs

export NGINX_LISTEN NGINX_WORKER_PROCESSES NGINX_PID_PATH NGINX_ERROR_LOG NGINX_ACCESS_LOG NGINX_TEMP_DIR \
    NGINX_DATA_SERVERS NGINX_TRAIN_SERVERS NGINX_PREDICT_SERVERS NGINX_AUTH_SERVERS \
    MLOPSD_MAX_BODY_BYTES MLOPSD_MAX_UPLOAD_BYTES MLOPSD_PREDICT_MAX_BATCH_BYTES NGINX_AUTH_RATE NGINX_AUTH_BURST NGINX_GENERAL_RATE \
    NGINX_GENERAL_BURST NGINX_PREDICT_RATE NGINX_PREDICT_BURST NGINX_ASSETS_RATE NGINX_ASSETS_BURST NGINX_CORS_ORIGIN_MAP NGINX_REAL_IP_CONFIG
envsubst '$NGINX_LISTEN $NGINX_WORKER_PROCESSES $NGINX_PID_PATH $NGINX_ERROR_LOG $NGINX_ACCESS_LOG $NGINX_TEMP_DIR
$NGINX_DATA_SERVERS $NGINX_TRAIN_SERVERS $NGINX_PREDICT_SERVERS $NGINX_AUTH_SERVERS $MLOPSD_MAX_BODY_BYTES
$MLOPSD_MAX_UPLOAD_BYTES $MLOPSD_PREDICT_MAX_BATCH_BYTES $NGINX_AUTH_RATE $NGINX_AUTH_BURST $NGINX_GENERAL_RATE $NGINX_GENERAL_BURST
$NGINX_PREDICT_RATE $NGINX_PREDICT_BURST $NGINX_ASSETS_RATE $NGINX_ASSETS_BURST $NGINX_CORS_ORIGIN_MAP $NGINX_REAL_IP_CONFIG' <"$template"
