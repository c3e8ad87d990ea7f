#!/usr/bin/env bash
# Provides the base images the Dockerfile names (and an nginx image for the edge) on a machine that
# cannot pull them from a registry: each is bootstrapped from Debian's packages with mmdebstrap (and,
# for the Swift builder, the toolchain installed on this machine), then imported under the name the
# Dockerfile uses. With a registry at hand none of this is needed: `docker build` pulls the official
# images.
#
#   deploy/base-images.sh [IMAGE…]     default: the Dockerfile's base images; the edge's is
#                                      localhost/nginx-debian:bookworm (deploy/stack.sh asks for it)
#
# An image already present, or pulled now, is left alone (MLOPSD_PULL=never: no pull is tried).
# CONTAINER_ENGINE (docker | podman) chooses the engine; it is detected otherwise.
# Needs root (mmdebstrap), mmdebstrap, and for the builder `swift` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/engine.sh

SUITE=bookworm
# What the Swift builder needs beyond the toolchain itself: the C/C++ runtime and headers it links
# against, git for package resolution, and the shared libraries its tools load.
BUILDER_PACKAGES=binutils,ca-certificates,git,libc6-dev,libcurl4-openssl-dev,libedit2,libgcc-12-dev,libicu72,libncurses6,libsqlite3-0,libstdc++-12-dev,libxml2-dev,pkg-config,tzdata,zlib1g-dev
EDGE_PACKAGES=nginx,gettext-base,curl,ca-certificates
# Like Debian's official slim images: no manuals, documentation or translations, and apt keeps
# no package caches in the layers built on top.
# Merged /usr set up by mmdebstrap itself: otherwise apt installs usrmerge, and with it a full Perl.
SLIM_OPTIONS=(
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/var/log/apt/*'
    --customize-hook='cp deploy/apt-slim.conf "$1"/etc/apt/apt.conf.d/90slim'
)
# Debugger, editor and documentation tools, and embedded-Swift libraries: a build never runs them.
TOOLCHAIN_EXCLUDES=(
    --exclude='./bin/lldb*' --exclude=./bin/sourcekit-lsp --exclude=./bin/clangd --exclude=./bin/docc
    --exclude='./lib/liblldb*' --exclude='./lib/libsourcekitdInProc*' --exclude=./lib/swift/embedded
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

import_rootfs() { # tarball image [--change …]
    local tarball=$1 image=$2
    shift 2
    "$ENGINE" import --change 'CMD ["bash"]' \
        --change "LABEL org.opencontainers.image.description=\"bootstrapped from Debian $SUITE by deploy/base-images.sh\"" \
        "$@" "$tarball" "$(qualified_image "$image")" >/dev/null
}

debian_slim() { # image
    mmdebstrap --quiet --variant=minbase "${SLIM_OPTIONS[@]}" "$SUITE" "$work/rootfs.tar"
    import_rootfs "$work/rootfs.tar" "$1"
}

# The toolchain goes under /usr as in the official swift images. Where this machine resolves
# GitHub packages from a local mirror, the builder's git does too, so the unchanged Dockerfile
# builds with the mirror mounted read-only at the same path (deploy/stack.sh does that).
swift_builder() { # image
    local swift toolchain
    swift=$(command -v swift) || { echo "base-images: no swift on PATH to put in the builder" >&2; exit 2; }
    toolchain=$(dirname "$(dirname "$(readlink -f "$swift")")")
    : >"$work/gitconfig"
    git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null | while read -r key value; do
        case $key in url./*) git config --file "$work/gitconfig" --add "$key" "$value" ;; esac
    done
    mmdebstrap --quiet --variant=minbase --include="$BUILDER_PACKAGES" "${SLIM_OPTIONS[@]}" \
        --customize-hook="tar -C '$toolchain' ${TOOLCHAIN_EXCLUDES[*]} -cf - . | tar -C \"\$1/usr\" -xf -" \
        --customize-hook="cp '$work/gitconfig' \"\$1/etc/gitconfig\"" \
        "$SUITE" "$work/rootfs.tar"
    import_rootfs "$work/rootfs.tar" "$1"
    "$ENGINE" run --rm "${ENGINE_RUN_OPTIONS[@]}" "$1" swift --version | head -n 1
}

# nginx from Debian, with envsubst and curl like the official image: the edge in compose.yaml.
nginx_edge() { # image
    mmdebstrap --quiet --variant=minbase --include="$EDGE_PACKAGES" "${SLIM_OPTIONS[@]}" \
        --customize-hook='rm -f "$1"/etc/nginx/sites-enabled/default' \
        "$SUITE" "$work/rootfs.tar"
    import_rootfs "$work/rootfs.tar" "$1" --change 'CMD ["nginx", "-g", "daemon off;"]'
}

bootstrap() { # image
    local image=$1 started=$SECONDS
    [ "$(id -u)" = 0 ] || { echo "base-images: cannot pull $image, and bootstrapping it needs root (mmdebstrap)" >&2; exit 2; }
    command -v mmdebstrap >/dev/null || { echo "base-images: cannot pull $image; install mmdebstrap to bootstrap it" >&2; exit 2; }
    echo "base-images: bootstrapping $image from Debian $SUITE packages" >&2
    case $image in
    *debian:$SUITE-slim) debian_slim "$image" ;;
    *swift:*-$SUITE) swift_builder "$image" ;;
    "$LOCAL_NGINX_IMAGE") nginx_edge "$image" ;;
    *) echo "base-images: no recipe for $image" >&2; exit 2 ;;
    esac
    echo "base-images: $image ready in $((SECONDS - started))s" >&2
}

images=("$@")
[ ${#images[@]} -gt 0 ] || mapfile -t images < <(dockerfile_base_images)
for image in "${images[@]}"; do
    image_available "$image" || bootstrap "$image"
done
