# Sourced by deploy/stack.sh and deploy/base-images.sh: which container engine and compose
# command to use, and the images the stack is built from.
#
# CONTAINER_ENGINE=docker|podman chooses; otherwise a reachable Docker engine wins, then Podman.

if [ -n "${CONTAINER_ENGINE:-}" ]; then
    ENGINE=$CONTAINER_ENGINE
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    ENGINE=docker
elif command -v podman >/dev/null; then
    ENGINE=podman
else
    echo "no container engine: install Docker, or Podman (apt-get install podman runc mmdebstrap)" >&2
    exit 2
fi
case $ENGINE in
docker | podman) command -v "$ENGINE" >/dev/null || { echo "CONTAINER_ENGINE=$ENGINE is not installed" >&2; exit 2; } ;;
*) echo "CONTAINER_ENGINE must be docker or podman, got '$ENGINE'" >&2; exit 2 ;;
esac

# crun, Podman's first choice, refuses hosts with hybrid cgroups (v1 with a v2 mount beside it);
# runc runs there.
PODMAN_GLOBAL=()
if [ "$ENGINE" = podman ] && [ -d /sys/fs/cgroup/unified ] && [ "$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)" = crun ]; then
    command -v runc >/dev/null || { echo "this host has hybrid cgroups, which crun cannot use: apt-get install runc" >&2; exit 2; }
    PODMAN_GLOBAL=(--runtime runc)
fi

if [ "$ENGINE" = docker ]; then
    COMPOSE=(docker compose)
elif podman compose version >/dev/null 2>&1; then
    COMPOSE=(podman compose)
elif command -v podman-compose >/dev/null; then
    COMPOSE=(podman-compose)
    [ ${#PODMAN_GLOBAL[@]} -eq 0 ] || COMPOSE+=(--podman-args "${PODMAN_GLOBAL[*]}")
else
    echo "podman has no compose command: pip install podman-compose (make up puts one in .venv-compose)" >&2
    exit 2
fi

# Podman asks for open-file and process limits above what a sandbox may grant (the container then
# fails to start with "error setting rlimits"); ask for modest ones. compose.yaml sets the
# services' own limits.
ENGINE_RUN_OPTIONS=()
if [ "$ENGINE" = podman ]; then
    open_files=$(ulimit -Hn)
    [ "$open_files" = unlimited ] || [ "$open_files" -gt 65536 ] && open_files=65536
    ENGINE_RUN_OPTIONS=("${PODMAN_GLOBAL[@]}" --ulimit "nofile=$open_files:$open_files" --ulimit "nproc=32768:32768")
fi

# Every image the Dockerfile builds FROM (its own stages aside).
dockerfile_base_images() {
    awk 'toupper($1) == "FROM" && !seen[$2]++ { print $2 }' Dockerfile \
        | grep -vxF -f <(awk 'toupper($1) == "FROM" && toupper($3) == "AS" { print $4 }' Dockerfile)
}

# The edge image compose.yaml runs unless MLOPSD_NGINX_IMAGE names another, and the one
# deploy/base-images.sh builds from Debian's nginx where that cannot be pulled.
NGINX_IMAGE=$(sed -n 's/.*image: \${MLOPSD_NGINX_IMAGE:-\([^}]*\)}.*/\1/p' compose.yaml)
LOCAL_NGINX_IMAGE=localhost/nginx-debian:bookworm

# The name a pull would store: Docker Hub's images under docker.io (library/ for official ones).
qualified_image() { # image
    case $1 in
    */*) case ${1%%/*} in *.* | *:* | localhost) echo "$1" ;; *) echo "docker.io/$1" ;; esac ;;
    *) echo "docker.io/library/$1" ;;
    esac
}

image_present() { # image
    "$ENGINE" image inspect "$1" >/dev/null 2>&1
}

# Present, or pulled now. MLOPSD_PULL=never skips the registry (a machine without one); images
# named localhost/ are made here and never pulled.
image_available() { # image
    image_present "$1" && return 0
    case $1 in localhost/*) return 1 ;; esac
    [ "${MLOPSD_PULL:-missing}" != never ] && "$ENGINE" pull "$1" >/dev/null 2>&1
}
