#!/usr/bin/env bash
# scripts/vulndb.sh — govulncheck without the vulnerability service.
#
# The service (vuln.go.dev) cannot be reached from CI, so this builds a local copy of the
# Go vulnerability database from the golang.org/x/vulndb module (its data/osv reports,
# indexed by its cmd/indexdb) and installs govulncheck, both pinned, into the git-ignored
# .tools/:
#   .tools/vulndb/<VULNDB_VERSION>/      the database (index/, ID/), for -db file://…
#   .tools/bin/govulncheck, .tools/bin/indexdb
#   .tools/vulndb/stamp                  the versions (and Go toolchain) they were built from
# Everything is rebuilt only when a pinned version or the Go toolchain changes.
#
#   scripts/vulndb.sh            build when needed, print the database directory
#   scripts/vulndb.sh check      build when needed, then govulncheck ./... (exit 3: vulnerable)
#   scripts/vulndb.sh selftest   prove that a known-vulnerable dependency fails the check:
#                                a throwaway module requiring github.com/antchfx/xpath v1.3.5
#                                (GO-2026-4526, reachable) must fail, the same module on
#                                v1.3.6 must pass.
#
# govulncheck type-checks the standard library of the `go` it runs with, so it is built
# with that same toolchain (GOTOOLCHAIN, see scripts/ci-test.sh) and rebuilt when it changes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned versions (/work/.library/env/packages/go-partial.tsv lists those served).
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0

log() { echo "vulndb: $*" >&2; }

TOOLS=$ROOT/.tools
DBDIR=$TOOLS/vulndb/$VULNDB_VERSION
STAMP=$TOOLS/vulndb/stamp
GOVERSION=$(go env GOVERSION)
want="vulndb=$VULNDB_VERSION govulncheck=$GOVULNCHECK_VERSION go=$GOVERSION"

build() {
	if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
		[ -x "$TOOLS/bin/govulncheck" ] && [ -f "$DBDIR/index/db.json" ]; then
		return 0
	fi
	local start=$SECONDS
	mkdir -p "$TOOLS/bin" "$TOOLS/vulndb"
	log "building the vulnerability database $VULNDB_VERSION and govulncheck $GOVULNCHECK_VERSION ($GOVERSION)"
	local src
	src=$(GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
		log "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv (download failed?)"
		return 1
	fi
	GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
	GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
	local tmp="$DBDIR.tmp.$$"
	rm -rf "$tmp"
	"$TOOLS/bin/indexdb" -vulns "$src/data/osv" -out "$tmp"
	rm -rf "$DBDIR"
	mv "$tmp" "$DBDIR"
	# Databases of other versions are dead weight.
	find "$TOOLS/vulndb" -mindepth 1 -maxdepth 1 -type d ! -path "$DBDIR" -exec rm -rf {} +
	echo "$want" >"$STAMP"
	log "built in $((SECONDS - start)) s: $(find "$DBDIR/ID" -name '*.json' | wc -l) reports in $DBDIR"
}

govulncheck() {
	"$TOOLS/bin/govulncheck" -db "file://$DBDIR" "$@"
}

# selftest writes a module that calls xpath (Expr.Evaluate is among GO-2026-4526's
# symbols) and runs govulncheck on it at the given xpath version; prints its exit code.
selftest_run() {
	local dir=$1 version=$2
	rm -f "$dir/go.mod" "$dir/go.sum"
	cat >"$dir/go.mod" <<EOF
module example.com/vulnprobe

go 1.21

require github.com/antchfx/xpath $version
EOF
	cat >"$dir/main.go" <<'EOF'
// Command vulnprobe calls a function of github.com/antchfx/xpath.
package main

import (
	"fmt"

	"github.com/antchfx/xpath"
)

func main() {
	fmt.Println(xpath.MustCompile("1=1").Evaluate(nil))
}
EOF
	(cd "$dir" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1)
	local rc=0
	(cd "$dir" && govulncheck ./... >"$dir/out.$version" 2>&1) || rc=$?
	echo "$rc"
}

selftest() {
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/trademon-vulnprobe.XXXXXX")
	trap 'rm -rf "$dir"' RETURN
	local bad good
	bad=$(selftest_run "$dir" v1.3.5)
	if [ "$bad" != 3 ] || ! grep -q 'GO-2026-4526' "$dir/out.v1.3.5"; then
		log "selftest FAILED: govulncheck exited $bad on xpath v1.3.5 (want 3 and GO-2026-4526):"
		cat "$dir/out.v1.3.5" >&2
		return 1
	fi
	good=$(selftest_run "$dir" v1.3.6)
	if [ "$good" != 0 ]; then
		log "selftest FAILED: govulncheck exited $good on xpath v1.3.6 (want 0):"
		cat "$dir/out.v1.3.6" >&2
		return 1
	fi
	log "selftest ok: xpath v1.3.5 fails (GO-2026-4526, exit 3), v1.3.6 passes"
}

build
case "${1:-}" in
"") echo "$DBDIR" ;;
check)
	shift
	log "govulncheck ${*:-./...} ($GOVERSION, database $VULNDB_VERSION)"
	govulncheck "${@:-./...}"
	;;
selftest) selftest ;;
*)
	log "unknown command ${1}; want: check, selftest or nothing"
	exit 2
	;;
esac
