#!/usr/bin/env bash
# `make local` / `make local-down`: the compose topology without Docker. Four mlopsd processes
# (data, train, predict, auth) on 127.0.0.1 and nginx in front of them, rendered from the same
# template compose uses. State, logs and pids live under $MLOPSD_LOCAL_DIR (default var/local).
#
#   deploy/local.sh up      start everything, wait for health, print the edge URL
#   deploy/local.sh down    stop everything started by `up`
#
# Settings come from the environment (and .env, which mlopsd reads itself). Without a
# JWT_SECRET_KEY or ADMIN_PASSWORD, one is generated once and kept under the local dir (0600),
# because the four processes must share the secret to accept each other's tokens.
set -euo pipefail
cd "$(dirname "$0")/.."

LOCAL_DIR=${MLOPSD_LOCAL_DIR:-$PWD/var/local}
case $LOCAL_DIR in /*) ;; *) LOCAL_DIR=$PWD/$LOCAL_DIR ;; esac
BIN=${MLOPSD_BIN:-$PWD/.build/release/mlopsd}
PORT_BASE=${MLOPSD_LOCAL_PORT_BASE:-8000}
EDGE_PORT=${MLOPSD_EDGE_PORT:-8080}
ROLES=(data train predict auth)

port_of() {
    case $1 in data) echo $((PORT_BASE + 1)) ;; train) echo $((PORT_BASE + 2)) ;; predict) echo $((PORT_BASE + 3)) ;; auth) echo $((PORT_BASE + 4)) ;; esac
}

# A value from the environment, else from ./.env, else empty.
setting() {
    if [ -n "${!1:-}" ]; then
        printf '%s' "${!1}"
    elif [ -f .env ]; then
        sed -n "s/^$1=//p" .env | tail -n 1
    fi
}

# A secret the processes share: the configured one, else one generated once for this local dir.
shared_secret() { # name file
    local value
    value=$(setting "$1")
    if [ -z "$value" ]; then
        if [ ! -s "$LOCAL_DIR/$2" ]; then
            (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LOCAL_DIR/$2")
            echo "generated $1 in $LOCAL_DIR/$2" >&2
        fi
        value=$(cat "$LOCAL_DIR/$2")
    fi
    printf '%s' "$value"
}

wait_for() { # url log
    for _ in $(seq 150); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "local: $1 did not answer; last lines of $2:" >&2
    tail -n 20 "$2" >&2
    return 1
}

stop_pid() { # pidfile
    [ -f "$1" ] || return 0
    local pid
    pid=$(cat "$1")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$1"
}

up() {
    command -v nginx >/dev/null || { echo "local: nginx is not installed (apt-get install nginx)" >&2; exit 2; }
    if [ ! -x "$BIN" ]; then
        swift build -c release --product mlopsd
    fi
    mkdir -p "$LOCAL_DIR"/{data,models,state,log,run,nginx/tmp}
    # nginx's workers run as an unprivileged user when it is started as root; they must reach
    # their temp directories (large request bodies are buffered there).
    chmod 0755 "$LOCAL_DIR" "$LOCAL_DIR/nginx"
    JWT_SECRET_KEY=$(shared_secret JWT_SECRET_KEY jwt-secret)
    ADMIN_PASSWORD=$(shared_secret ADMIN_PASSWORD admin-password)
    export JWT_SECRET_KEY ADMIN_PASSWORD
    export MLOPSD_DATA_DIR="$LOCAL_DIR/data" MLOPSD_MODELS_DIR="$LOCAL_DIR/models" MLOPSD_STATE_DIR="$LOCAL_DIR/state"

    for role in "${ROLES[@]}"; do
        if [ -f "$LOCAL_DIR/run/$role.pid" ] && kill -0 "$(cat "$LOCAL_DIR/run/$role.pid")" 2>/dev/null; then
            echo "local: $role already running (pid $(cat "$LOCAL_DIR/run/$role.pid"))" >&2
            continue
        fi
        # Another server on the port would pass the health check below.
        if curl -s -o /dev/null "http://127.0.0.1:$(port_of "$role")/"; then
            echo "local: port $(port_of "$role") is already in use; set MLOPSD_LOCAL_PORT_BASE" >&2
            exit 1
        fi
        MLOPSD_ROLE=$role MLOPSD_HOST=127.0.0.1 MLOPSD_PORT=$(port_of "$role") \
            nohup "$BIN" serve >>"$LOCAL_DIR/log/$role.log" 2>&1 </dev/null &
        echo $! >"$LOCAL_DIR/run/$role.pid"
    done
    for role in "${ROLES[@]}"; do
        wait_for "http://127.0.0.1:$(port_of "$role")/health" "$LOCAL_DIR/log/$role.log"
    done

    NGINX_LISTEN=127.0.0.1:$EDGE_PORT \
    NGINX_PID_PATH=$LOCAL_DIR/run/nginx.pid \
    NGINX_ERROR_LOG=$LOCAL_DIR/log/nginx-error.log \
    NGINX_ACCESS_LOG=$LOCAL_DIR/log/nginx-access.log \
    NGINX_TEMP_DIR=$LOCAL_DIR/nginx/tmp \
    MLOPSD_DATA_UPSTREAM=127.0.0.1:$(port_of data) \
    MLOPSD_TRAIN_UPSTREAM=127.0.0.1:$(port_of train) \
    MLOPSD_PREDICT_UPSTREAM=127.0.0.1:$(port_of predict) \
    MLOPSD_AUTH_UPSTREAM=127.0.0.1:$(port_of auth) \
    MLOPSD_MAX_BODY_BYTES=$(setting MLOPSD_MAX_BODY_BYTES) \
    MLOPSD_MAX_UPLOAD_BYTES=$(setting MLOPSD_MAX_UPLOAD_BYTES) \
    MLOPSD_CORS_ORIGINS=$(setting MLOPSD_CORS_ORIGINS) \
        bash -c 'for name in MLOPSD_MAX_BODY_BYTES MLOPSD_MAX_UPLOAD_BYTES MLOPSD_CORS_ORIGINS; do [ -z "${!name}" ] && unset "$name"; done
                 exec deploy/render-nginx.sh' >"$LOCAL_DIR/nginx/nginx.conf"
    nginx -t -q -p "$LOCAL_DIR/nginx" -c "$LOCAL_DIR/nginx/nginx.conf" 2>>"$LOCAL_DIR/log/nginx-error.log" \
        || { tail -n 5 "$LOCAL_DIR/log/nginx-error.log" >&2; exit 1; }
    stop_pid "$LOCAL_DIR/run/nginx.pid"
    nginx -p "$LOCAL_DIR/nginx" -c "$LOCAL_DIR/nginx/nginx.conf" 2>>"$LOCAL_DIR/log/nginx-error.log"
    wait_for "http://127.0.0.1:$EDGE_PORT/health" "$LOCAL_DIR/log/nginx-error.log"
    echo "mlopsd is up behind nginx at http://127.0.0.1:$EDGE_PORT (logs in $LOCAL_DIR/log)"
}

down() {
    stop_pid "$LOCAL_DIR/run/nginx.pid"
    for role in "${ROLES[@]}"; do
        stop_pid "$LOCAL_DIR/run/$role.pid"
    done
    echo "mlopsd local topology stopped"
}

case ${1:-} in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
