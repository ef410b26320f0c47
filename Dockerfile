# Vigil container image.
#
# Stage 1 builds the statically linked binary on Debian 12 with the project's own scripts/setup.
# Stage 2 is an empty (scratch) image holding only the binary, CA certificates, tzdata, a passwd/group
# naming the unprivileged user and the data directory: no shell, no package manager, no compiler.
# scripts/container-check assembles the same root on a machine without Docker and runs Vigil in it;
# tests/deploy/test_deploy_config.py checks this file against the binary's flags.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
# tzdata is not in the base image; ca-certificates is also pulled in by scripts/setup.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first (a layer that survives source edits): setup reads only itself and the
# TypeScript SDK's lock file.
COPY scripts/setup scripts/setup
COPY sdk/typescript/package.json sdk/typescript/package-lock.json sdk/typescript/
RUN scripts/setup
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build --target vigil -j"$(nproc)" \
 && file build/vigil | grep -q 'statically linked' \
 && build/vigil --help >/dev/null
# The data directory, empty (scratch has no mkdir); chowned to the runtime user when copied.
RUN mkdir -p /rootfs/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
# One unprivileged user and group, vigil = 10001:10001 (deploy/etc/, also used by container-check).
COPY deploy/etc/passwd deploy/etc/group /etc/
COPY --from=build --chown=10001:10001 /rootfs/data /data
COPY --from=build /src/build/vigil /vigil
USER 10001:10001
# Declared after /data is populated and chowned, so a new named volume starts owned by 10001.
VOLUME /data
ENV VIGIL_DB=/data/vigil.db VIGIL_PORT=8080
EXPOSE 8080
# Exec form: there is no shell in this image. `vigil healthcheck` GETs the local /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/vigil", "healthcheck"]
# Vigil drains in-flight requests (up to 10 s) and checkpoints the WAL on SIGTERM; give
# `docker stop` at least that: `docker stop -t 20` (or stop_grace_period: 20s in compose).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/vigil"]
