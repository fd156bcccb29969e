#!/usr/bin/env bash
# scripts/tools.sh — install what trademon's tests need on a machine that has only Go
# and Debian: the Debian packages prometheus (promtool, prometheus), chromium and a CJK font when
# missing, and influxd 1.8.3 built from source into the git-ignored .tools/bin (reused
# when present). Safe to run again; it does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
INFLUXD_VERSION=v1.8.3

log() { echo "tools: $*" >&2; }

# Debian packages, only when missing (CI may start without them).
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# The dashboards' live test sends alerts through a real Alertmanager.
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# curl and jq: scripts/entry-demo.sh, which a test runs against a real server.
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
# A CJK font, so that the overview page's screenshot shows Chinese, not empty boxes.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
if ((${#need[@]})); then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	log "installing Debian packages: ${need[*]}"
	$sudo apt-get update -qq
	# RUNLEVEL=1 keeps package scripts from starting the prometheus daemon.
	$sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
		apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# influxd 1.8.3 (Flux on /api/v2/query), built with the Go toolchain.
if [ ! -x "$ROOT/.tools/bin/influxd" ]; then
	log "building influxd $INFLUXD_VERSION into .tools/bin (a few minutes, once)"
	mkdir -p "$ROOT/.tools/bin"
	# GOTOOLCHAIN=local: influxd is built with the machine's own Go, as it always was,
	# whatever toolchain trademon itself uses (scripts/ci-test.sh).
	GOTOOLCHAIN=local GOBIN="$ROOT/.tools/bin" GOFLAGS=-mod=mod go install "github.com/influxdata/influxdb/cmd/influxd@$INFLUXD_VERSION"
fi
log "ready: promtool $(command -v promtool), alertmanager $(command -v prometheus-alertmanager), chromium $(command -v chromium), influxd $ROOT/.tools/bin/influxd"
