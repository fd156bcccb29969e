# trademon's container image: a static binary on Alpine (for wget, the health check's
# HTTP client), run as an unprivileged user, with its store on /var/lib/trademon (a
# named volume in docker-compose.yml).
#
#   docker build -t trademon .
#   docker run -p 8080:8080 -v trademon-data:/var/lib/trademon trademon

# Build stage: the Go toolchain this module needs (go.mod), modules cached between builds.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/trademon ./cmd/trademon

# Run stage.
FROM alpine:3.22.2
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 trademon \
 && adduser -S -D -H -u 10001 -G trademon trademon \
 && mkdir -p /var/lib/trademon \
 && chown trademon:trademon /var/lib/trademon
COPY --from=build /out/trademon /usr/local/bin/trademon
USER 10001:10001
WORKDIR /var/lib/trademon
ENV TRADEMON_LISTEN=0.0.0.0:8080 \
    TRADEMON_STORE_PATH=/var/lib/trademon
VOLUME ["/var/lib/trademon"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/trademon"]
CMD ["serve"]
