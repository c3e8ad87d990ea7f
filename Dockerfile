# syntax=docker/dockerfile:1
# One image, every role: `docker run -e MLOPSD_ROLE=predict mlopsd` (compose.yaml starts it four ways).
# Without a registry, deploy/base-images.sh provides the two base images from Debian's packages.

# --- build: release binary with the Swift runtime linked in statically --------------------------
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Tests too: SwiftPM checks every declared target's folder exists, even for `--product mlopsd`.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The cache mount keeps resolved packages and objects between builds; the binary is copied out
# without its debug information (a third of the size; symbols stay, so backtraces keep names).
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product mlopsd --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/mlopsd" /out/mlopsd \
    && strip --strip-debug /out/mlopsd

# --- run: slim Debian with only the runtime libraries --------------------------------------------
FROM debian:bookworm-slim
# libsqlite3: job, catalog and user state; ca-certificates: HTTPS to MLflow/DagsHub; curl: HEALTHCHECK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/mlopsd --shell /usr/sbin/nologin mlopsd \
    && install -d -o mlopsd -g mlopsd /var/lib/mlopsd/data /var/lib/mlopsd/models /var/lib/mlopsd/state
COPY --from=build /out/mlopsd /usr/local/bin/mlopsd
COPY deploy/healthcheck.sh /usr/local/bin/mlopsd-healthcheck

ENV MLOPSD_HOST=0.0.0.0 \
    MLOPSD_DATA_DIR=/var/lib/mlopsd/data \
    MLOPSD_MODELS_DIR=/var/lib/mlopsd/models \
    MLOPSD_STATE_DIR=/var/lib/mlopsd/state
WORKDIR /var/lib/mlopsd
USER mlopsd:mlopsd
# No VOLUME: each role mounts only what it uses (compose.yaml), and the rest of the file system
# stays read-only rather than gaining anonymous volumes.
EXPOSE 8000 8001 8002 8003 8004
HEALTHCHECK --interval=10s --timeout=4s --start-period=10s --retries=3 CMD ["mlopsd-healthcheck"]
# The role comes from MLOPSD_ROLE (data | train | predict | auth | all).
ENTRYPOINT ["mlopsd", "serve"]
