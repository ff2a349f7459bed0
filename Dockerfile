# syntax=docker/dockerfile:1
#
# Lawha's container image: `docker build -t ghcr.io/OWNER/lawha:TAG .` from the repository root.
#
# Four stages. cargo-chef splits the build so that the slow part, compiling the dependencies, is a layer that only
# changes when Cargo.toml / Cargo.lock change: `planner` reduces the workspace to a recipe (manifests and lock file),
# `builder` compiles the recipe's dependencies first, then copies the sources and compiles Lawha's own crates. The
# `runtime` stage holds the binaries and the tools that backups run, nothing from the toolchain.
#
# The Rust version follows `rust-version` in Cargo.toml; the builder is Debian bookworm like the runtime, so the
# binary links against the same glibc it runs with. Another builder: `--build-arg CHEF_IMAGE=…` (any cargo-chef tag
# built on bookworm).

ARG RUST_VERSION=1.95
ARG CHEF_IMAGE=lukemathwalker/cargo-chef:latest-rust-${RUST_VERSION}-slim-bookworm

FROM ${CHEF_IMAGE} AS chef
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer is reused as long as the recipe (manifests, lock file) is unchanged.
RUN cargo chef cook --release --locked --workspace --recipe-path recipe.json
COPY . .
# `--workspace` builds every binary of the workspace, the workers' too; each one has its own COPY line in the
# runtime stage (lawha, lawha-backup-worker, lawha-cert-worker).
RUN cargo build --release --locked --workspace

FROM debian:bookworm-slim AS runtime

# What `lawha` runs besides itself: the dump and restore clients for the databases that backups cover
# (bookworm's postgresql-client is 15, the same major version as the compose stack's server: pg_dump must not be
# older than the server), zstd for compressing dumps, CA certificates for outgoing TLS, tzdata so schedules can
# name a time zone, and curl for the HEALTHCHECK. Versions are not pinned: bookworm's stable updates are security
# fixes, and a pin would break the build as soon as the archive drops the pinned version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        curl \
        mariadb-client \
        postgresql-client \
        sqlite3 \
        tzdata \
        zstd \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid (10001), so that volume ownership and secret-file permissions on the host can be set
# once and do not depend on the order packages created users in.
RUN groupadd --system --gid 10001 lawha \
    && useradd --system --uid 10001 --gid lawha --home-dir /var/lib/lawha --shell /usr/sbin/nologin lawha \
    && install -d -o lawha -g lawha -m 0750 /var/lib/lawha /var/backups/lawha

COPY --from=builder /src/target/release/lawha /usr/local/bin/lawha
COPY --from=builder /src/target/release/lawha-backup-worker /usr/local/bin/lawha-backup-worker
COPY --from=builder /src/target/release/lawha-cert-worker /usr/local/bin/lawha-cert-worker

ENV LAWHA_ENV=production \
    LAWHA_LISTEN=0.0.0.0:8080 \
    LAWHA_DATA_DIR=/var/lib/lawha

# Numeric, so that a runtime that checks "not root" (Kubernetes' runAsNonRoot) can verify it without /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/lawha
# Declared after the directory is created and owned by `lawha`, so a new named volume starts with that owner.
VOLUME /var/lib/lawha
EXPOSE 8080

# Liveness only: readiness (/health/ready) depends on the database, and an unhealthy database must not make the
# orchestrator think the API process itself is broken. The blue-green switch checks /health/ready separately.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/health/live"]

# `lawha serve` finishes in-flight requests on SIGTERM, which is what `docker stop` sends.
STOPSIGNAL SIGTERM
ENTRYPOINT ["lawha"]
CMD ["serve"]

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="lawha" \
      org.opencontainers.image.description="Lawha, a server control panel" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
