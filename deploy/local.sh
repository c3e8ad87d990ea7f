#!/usr/bin/env bash
# `make local` / `make local-down`: the compose topology without Docker. Four mlopsd processes
# (data, train, predict, auth) on 127.0.0.1 and nginx in front of them, rendered from the same
# template compose uses. State, logs and pids live under $MLOPSD_LOCAL_DIR (default var/local).
#
#   deploy/local.sh up      start everything, wait for health, print the edge URL
#   deploy/local.sh down    stop everything started by `up`
#
# MLOPSD_LOCAL_REPLICAS=2 (`make local-ha`) starts that many processes of every role, all on one
# PostgreSQL database: MLOPSD_DATABASE_URL when it is set, else a throwaway cluster under the local
# dir (Debian's postgresql) on port $MLOPSD_LOCAL_POSTGRES_PORT (default base + 432).
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
REPLICAS=${MLOPSD_LOCAL_REPLICAS:-1}
POSTGRES_PORT=${MLOPSD_LOCAL_POSTGRES_PORT:-$((PORT_BASE + 432))}
ROLES=(data train predict auth)
case $REPLICAS in [1-9]) ;; *) echo "local: MLOPSD_LOCAL_REPLICAS must be 1 to 9" >&2; exit 2 ;; esac

# Replica r (0-based) of a role listens on base + 10r + 1…4: data 8001, 8011; train 8002, 8012…
port_of() { # role [replica]
    local offset
    case $1 in data) offset=1 ;; train) offset=2 ;; predict) offset=3 ;; auth) offset=4 ;; esac
    echo $((PORT_BASE + 10 * ${2:-0} + offset))
}

# The name a replica's log and pid files go by: the role itself for the first.
instance_of() { # role replica
    if [ "$2" -eq 0 ]; then echo "$1"; else echo "$1-$(($2 + 1))"; fi
}

# The nginx upstream setting: every replica of the role.
upstream_of() { # role
    local replica servers=""
    for ((replica = 0; replica < REPLICAS; replica++)); do
        servers="$servers${servers:+,}127.0.0.1:$(port_of "$1" "$replica")"
    done
    echo "$servers"
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

    if [ "$REPLICAS" -gt 1 ]; then
        MLOPSD_DATABASE_URL=$(database_url)
        export MLOPSD_DATABASE_URL
    fi

    local role replica instance port state
    for role in "${ROLES[@]}"; do
        for ((replica = 0; replica < REPLICAS; replica++)); do
            instance=$(instance_of "$role" "$replica")
            port=$(port_of "$role" "$replica")
            if [ -f "$LOCAL_DIR/run/$instance.pid" ] && kill -0 "$(cat "$LOCAL_DIR/run/$instance.pid")" 2>/dev/null; then
                echo "local: $instance already running (pid $(cat "$LOCAL_DIR/run/$instance.pid"))" >&2
                continue
            fi
            # Another server on the port would pass the health check below.
            if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
                echo "local: port $port is already in use; set MLOPSD_LOCAL_PORT_BASE" >&2
                exit 1
            fi
            # Replicas share data, models and the database; each keeps its own state directory.
            state=$LOCAL_DIR/state
            if [ "$REPLICAS" -gt 1 ]; then state=$LOCAL_DIR/state/$instance; fi
            mkdir -p "$state"
            MLOPSD_ROLE=$role MLOPSD_HOST=127.0.0.1 MLOPSD_PORT=$port MLOPSD_STATE_DIR=$state \
                MLOPSD_AUTH_URL=http://127.0.0.1:$(port_of auth) \
                nohup "$BIN" serve >>"$LOCAL_DIR/log/$instance.log" 2>&1 </dev/null &
            echo $! >"$LOCAL_DIR/run/$instance.pid"
        done
    done
    for role in "${ROLES[@]}"; do
        for ((replica = 0; replica < REPLICAS; replica++)); do
            wait_for "http://127.0.0.1:$(port_of "$role" "$replica")/health" "$LOCAL_DIR/log/$(instance_of "$role" "$replica").log"
        done
    done

    NGINX_LISTEN=127.0.0.1:$EDGE_PORT \
    NGINX_PID_PATH=$LOCAL_DIR/run/nginx.pid \
    NGINX_ERROR_LOG=$LOCAL_DIR/log/nginx-error.log \
    NGINX_ACCESS_LOG=$LOCAL_DIR/log/nginx-access.log \
    NGINX_TEMP_DIR=$LOCAL_DIR/nginx/tmp \
    MLOPSD_DATA_UPSTREAM=$(upstream_of data) \
    MLOPSD_TRAIN_UPSTREAM=$(upstream_of train) \
    MLOPSD_PREDICT_UPSTREAM=$(upstream_of predict) \
    MLOPSD_AUTH_UPSTREAM=$(upstream_of auth) \
    MLOPSD_MAX_BODY_BYTES=$(setting MLOPSD_MAX_BODY_BYTES) \
    MLOPSD_MAX_UPLOAD_BYTES=$(setting MLOPSD_MAX_UPLOAD_BYTES) \
    MLOPSD_PREDICT_MAX_BATCH_BYTES=$(setting MLOPSD_PREDICT_MAX_BATCH_BYTES) \
    MLOPSD_CORS_ORIGINS=$(setting MLOPSD_CORS_ORIGINS) \
        bash -c 'for name in MLOPSD_MAX_BODY_BYTES MLOPSD_MAX_UPLOAD_BYTES MLOPSD_PREDICT_MAX_BATCH_BYTES MLOPSD_CORS_ORIGINS; do [ -z "${!name}" ] && unset "$name"; done
                 exec deploy/render-nginx.sh' >"$LOCAL_DIR/nginx/nginx.conf"
    nginx -t -q -p "$LOCAL_DIR/nginx" -c "$LOCAL_DIR/nginx/nginx.conf" 2>>"$LOCAL_DIR/log/nginx-error.log" \
        || { tail -n 5 "$LOCAL_DIR/log/nginx-error.log" >&2; exit 1; }
    if [ -f "$LOCAL_DIR/run/nginx.pid" ] && kill -0 "$(cat "$LOCAL_DIR/run/nginx.pid")" 2>/dev/null; then
        # Already serving (`up` after a replica stopped): a reload swaps the configuration
        # without dropping a connection, where a restart would take the edge down.
        nginx -s reload -p "$LOCAL_DIR/nginx" -c "$LOCAL_DIR/nginx/nginx.conf" 2>>"$LOCAL_DIR/log/nginx-error.log"
    else
        nginx -p "$LOCAL_DIR/nginx" -c "$LOCAL_DIR/nginx/nginx.conf" 2>>"$LOCAL_DIR/log/nginx-error.log"
    fi
    wait_for "http://127.0.0.1:$EDGE_PORT/health" "$LOCAL_DIR/log/nginx-error.log"
    echo "mlopsd is up behind nginx at http://127.0.0.1:$EDGE_PORT ($REPLICAS of each role; logs in $LOCAL_DIR/log)"
}

# The database the replicas share: the configured one, else a throwaway cluster started here once.
database_url() {
    local configured
    configured=$(setting MLOPSD_DATABASE_URL)
    if [ -n "$configured" ]; then
        printf '%s' "$configured"
        return
    fi
    if [ ! -s "$LOCAL_DIR/postgres/url" ]; then
        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
            || { echo "local: replicas need PostgreSQL (apt-get install postgresql) or MLOPSD_DATABASE_URL" >&2; exit 2; }
        mkdir -p "$LOCAL_DIR/postgres"
        chmod 0755 "$LOCAL_DIR/postgres"
        local url
        url=$(deploy/postgres.sh start "$LOCAL_DIR/postgres" "$POSTGRES_PORT")
        (umask 077 && printf '%s\n' "$url" >"$LOCAL_DIR/postgres/url")
        echo "local: PostgreSQL on 127.0.0.1:$POSTGRES_PORT (data in $LOCAL_DIR/postgres)" >&2
    elif [ ! -f "$LOCAL_DIR/postgres/data/postmaster.pid" ]; then
        deploy/postgres.sh restart "$LOCAL_DIR/postgres" "$POSTGRES_PORT" >&2
    fi
    cat "$LOCAL_DIR/postgres/url"
}

down() {
    stop_pid "$LOCAL_DIR/run/nginx.pid"
    local pidfile
    for pidfile in "$LOCAL_DIR"/run/*.pid; do
        [ -e "$pidfile" ] && stop_pid "$pidfile"
    done
    [ -d "$LOCAL_DIR/postgres/data" ] && deploy/postgres.sh stop "$LOCAL_DIR/postgres"
    echo "mlopsd local topology stopped"
}

case ${1:-} in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
