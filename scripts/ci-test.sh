#!/usr/bin/env bash
# scripts/ci-test.sh — run every test of trademon, InfluxDB tests included, on a fresh
# machine with only Go and Debian (this is `make test`, and .ci/run calls it):
#   1. install missing tools (scripts/tools.sh: Debian packages, influxd 1.8.3),
#   2. start influxd with Flux on a free loopback port in a temporary directory,
#   3. go vet ./... and govulncheck ./... against a local vulnerability database
#      (scripts/vulndb.sh; a known-vulnerable dependency fails the run),
#   4. go test -race ./... with TRADEMON_TEST_INFLUXDB_URL pointing at
#      it and TRADEMON_TEST_REQUIRE_INFLUXDB=1, so InfluxDB tests fail, never skip,
#   5. every fuzz target for a few seconds (scripts/fuzz.sh),
#   6. stop influxd and exit with the tests' status.
# Extra arguments go to go test (e.g. -run TestX ./internal/importer/); with them, the
# govulncheck and fuzz steps are skipped (TRADEMON_VULNCHECK=1 keeps govulncheck).
# TRADEMON_FUZZTIME sets the fuzz budget per target (default 6s).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# The Go toolchain trademon is built and tested with. go1.26.8, the machine's own, has
# reachable vulnerabilities in net/http, crypto/tls, crypto/x509 and html/template that
# go1.27.3 fixes (govulncheck reports them); the go command fetches it from the module
# proxy once (about 76 MB). GOTOOLCHAIN=local in the environment keeps the machine's Go.
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"

log() { echo "ci: $*" >&2; }

bash scripts/tools.sh
INFLUXD=$ROOT/.tools/bin/influxd

# A loopback port nothing listens on.
free_port() {
	local p
	for _ in $(seq 1 500); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trademon-ci.XXXXXX")
influx_pid=""
cleanup() {
	if [ -n "$influx_pid" ] && kill -0 "$influx_pid" 2>/dev/null; then
		kill "$influx_pid" 2>/dev/null || true
		wait "$influx_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

http_port=$(free_port)
rpc_port=$(free_port)
while [ "$rpc_port" = "$http_port" ]; do rpc_port=$(free_port); done
cat >"$tmp/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$tmp/meta"
[data]
  dir = "$tmp/data"
  wal-dir = "$tmp/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$http_port"
  flux-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CONF
"$INFLUXD" run -config "$tmp/influxdb.conf" >"$tmp/influxd.log" 2>&1 &
influx_pid=$!

# Wait for /ping to answer 204 (up to 60 s).
ready=""
for _ in $(seq 1 120); do
	if ! kill -0 "$influx_pid" 2>/dev/null; then break; fi
	status=$( (exec 3<>"/dev/tcp/127.0.0.1/$http_port" &&
		printf 'GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
		head -n 1 <&3) 2>/dev/null || true)
	case "$status" in *" 204"*) ready=1; break ;; esac
	sleep 0.5
done
if [ -z "$ready" ]; then
	log "influxd did not come up on 127.0.0.1:$http_port; its log:"
	cat "$tmp/influxd.log" >&2
	exit 1
fi
log "influxd 1.8.3 with Flux on http://127.0.0.1:$http_port (pid $influx_pid)"

export TRADEMON_TEST_INFLUXDB_URL="http://127.0.0.1:$http_port"
export TRADEMON_TEST_INFLUXD="$INFLUXD"
export TRADEMON_TEST_REQUIRE_INFLUXDB=1

status=0
log "go vet ./..."
go vet ./... || status=$?
if [ "$status" -eq 0 ] && { (($# == 0)) || [ "${TRADEMON_VULNCHECK:-}" = 1 ]; }; then
	log "govulncheck ./... (local database, scripts/vulndb.sh)"
	bash scripts/vulndb.sh selftest || status=$?
	if [ "$status" -eq 0 ]; then bash scripts/vulndb.sh check ./... || status=$?; fi
fi
if [ "$status" -eq 0 ]; then
	args=("$@")
	if ((${#args[@]} == 0)); then args=(./...); fi
	log "go test -race ${args[*]}"
	# -artifacts keeps what tests save (the overview page's screenshot) under out/.
	mkdir -p "$ROOT/out"
	go test -race -timeout 30m -artifacts -outputdir "$ROOT/out" "${args[@]}" || status=$?
fi
# Every fuzz target for a fixed budget (scripts/fuzz.sh; `make fuzz` runs longer).
if [ "$status" -eq 0 ] && (($# == 0)); then
	log "fuzz: every target for ${TRADEMON_FUZZTIME:-6s}"
	FUZZTIME=${TRADEMON_FUZZTIME:-6s} bash scripts/fuzz.sh || status=$?
fi
if [ "$status" -ne 0 ]; then
	log "FAILED (status $status)"
fi
exit "$status"
