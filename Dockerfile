# syntax=docker/dockerfile:1
#
# feedpost's container image: `docker build -t feedpost .` here, or
# `docker compose -f deploy/compose.yaml up -d` to run it beside RSSHub.
#
# A static binary (no cgo: SQLite is modernc.org/sqlite, in Go) on an empty
# base, with CA certificates for https feeds, the time zone database inside
# the binary, a non-root user and one volume, /data, for the store, the
# generated site and the image cache. The build reaches the Go module proxy
# and Docker Hub, nothing else.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Dependencies first: this layer is reused until go.mod or go.sum changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION names the build in `feedpost version` (e.g. --build-arg VERSION=v1.2.0);
# left empty, the Go toolchain's build information answers.
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X main.version=${VERSION}" \
      -o /out/usr/local/bin/feedpost ./cmd/feedpost
# What the empty base lacks: a user (uid 10001) and its /data, and a /tmp
# (SQLite's temporary files: without one, opening the store fails).
RUN mkdir -p /out/etc/ssl/certs /out/data /out/tmp \
 && chmod 1777 /out/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && echo 'feedpost:x:10001:10001:feedpost:/data:/nonexistent' > /out/etc/passwd \
 && echo 'feedpost:x:10001:' > /out/etc/group \
 && cp deploy/feedpost.container.yaml /out/etc/feedpost.yaml

FROM scratch
COPY --from=build /out/etc/ /etc/
COPY --from=build /out/usr/local/bin/feedpost /usr/local/bin/feedpost
COPY --from=build --chown=10001:10001 /out/data /data
COPY --from=build /out/tmp /tmp
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 8080
# The config's own `store:` is /data/feedpost.db; FEEDPOST_STORE overrides it
# (a postgres:// URL puts the store in PostgreSQL, see deploy/compose.yaml).
ENV FEEDPOST_STORE=/data/feedpost.db
# The image has no curl: feedpost asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/feedpost", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/feedpost"]
# Mount your own config over /etc/feedpost.yaml (or pass -c).
CMD ["serve", "--config", "/etc/feedpost.yaml", "--addr", ":8080"]
