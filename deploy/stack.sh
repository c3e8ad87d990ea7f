#!/usr/bin/env bash
# `make up` / `make down`: the compose stack (compose.yaml) with Docker or Podman.
#
#   deploy/stack.sh up        build the image, start the stack, wait until every role answers
#                             through nginx (PREDICT_REPLICAS=N for N prediction replicas;
#                             --no-build starts the image already built)
#   deploy/stack.sh build     build the image only
#   deploy/stack.sh down      stop and remove the containers; volumes are kept
#   deploy/stack.sh down -v   … and the volumes: every dataset, model and account
#
# CONTAINER_ENGINE=docker|podman chooses the engine (detected otherwise). Base images that can be
# neither found nor pulled are bootstrapped from Debian's packages (deploy/base-images.sh);
# MLOPSD_PULL=never skips the registry altogether.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/engine.sh

IMAGE=mlopsd:${MLOPSD_IMAGE_TAG:-latest}
EDGE_URL=http://127.0.0.1:${MLOPSD_EDGE_PORT:-8080}

# A value from the environment, else from ./.env, else empty (compose reads both the same way).
setting() {
    if [ -n "${!1:-}" ]; then
        printf '%s' "${!1}"
    elif [ -f .env ]; then
        sed -n "s/^$1=//p" .env | tail -n 1
    fi
}

# compose.yaml takes its settings from the environment and .env. Without the two secrets in
# either, write .env from env.example with real ones in place of the placeholders, which every
# role refuses.
ensure_env_file() {
    [ -f .env ] && { echo "stack: set JWT_SECRET_KEY and ADMIN_PASSWORD in .env" >&2; exit 2; }
    local secret password
    secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    (umask 077 && sed -e "s/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY=$secret/" \
        -e "s/^ADMIN_PASSWORD=.*/ADMIN_PASSWORD=$password/" env.example >.env)
    echo "stack: wrote .env from env.example with a generated JWT_SECRET_KEY and ADMIN_PASSWORD (mode 0600)" >&2
}

# The directories git reads GitHub packages from on this machine (a local mirror), if any: the
# build mounts them read-only so SwiftPM resolves offline exactly as on the host.
local_package_mirrors() {
    git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null \
        | sed -n 's|^url\.\(/[^ ]*\)\.insteadof .*|\1|p' | sort -u
}

build() {
    local started=$SECONDS options=()
    deploy/base-images.sh
    if [ "$ENGINE" = podman ]; then
        options+=("${ENGINE_RUN_OPTIONS[@]}")
        for mirror in $(local_package_mirrors); do
            [ -d "$mirror" ] && options+=(--volume "$mirror:$mirror:ro")
        done
    fi
    "$ENGINE" build "${options[@]}" --tag "$IMAGE" .
    echo "stack: built $IMAGE in $((SECONDS - started))s ($("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE") bytes)" >&2
}

# The official nginx image where it can be had, else nginx from Debian built here.
choose_nginx_image() {
    [ -n "${MLOPSD_NGINX_IMAGE:-}" ] && return 0
    image_available "$NGINX_IMAGE" && return 0
    export MLOPSD_NGINX_IMAGE=$LOCAL_NGINX_IMAGE
    deploy/base-images.sh "$LOCAL_NGINX_IMAGE"
}

wait_until_ready() {
    local role deadline=$((SECONDS + ${MLOPSD_STACK_TIMEOUT:-120}))
    for role in auth data train predict; do
        until curl -fsS -o /dev/null --max-time 2 "$EDGE_URL/api/v1/$role/health" 2>/dev/null; do
            if [ $SECONDS -ge $deadline ]; then
                echo "stack: the $role role did not answer through nginx; its logs:" >&2
                "${COMPOSE[@]}" logs --tail 20 "$role" nginx >&2 || true
                return 1
            fi
            sleep 0.5
        done
    done
}

up() {
    [ -n "$(setting JWT_SECRET_KEY)" ] && [ -n "$(setting ADMIN_PASSWORD)" ] || ensure_env_file
    [ "${1:-}" = --no-build ] || build
    choose_nginx_image
    "${COMPOSE[@]}" up -d
    wait_until_ready
    echo "mlopsd is up behind nginx at $EDGE_URL ($ENGINE, ${PREDICT_REPLICAS:-1} predict replica(s))"
}

down() {
    # podman-compose names replicas from PREDICT_REPLICAS, so it must match what is running; the
    # nginx image and the secrets only matter for interpolation here.
    local replicas
    replicas=$("$ENGINE" ps -a -q --filter label=com.docker.compose.project=mlopsd --filter label=com.docker.compose.service=predict | wc -l)
    PREDICT_REPLICAS=$((replicas > 0 ? replicas : 1)) MLOPSD_NGINX_IMAGE=${MLOPSD_NGINX_IMAGE:-$NGINX_IMAGE} \
        JWT_SECRET_KEY=${JWT_SECRET_KEY:-unused} ADMIN_PASSWORD=${ADMIN_PASSWORD:-unused} "${COMPOSE[@]}" down "$@"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
up) up "$@" ;;
build) build ;;
down) down "$@" ;;
*) echo "usage: $0 up [--no-build] | build | down [-v]" >&2; exit 2 ;;
esac
