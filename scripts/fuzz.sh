#!/usr/bin/env bash
# scripts/fuzz.sh — run every fuzz target of trademon for a fixed time each.
#
#   scripts/fuzz.sh                  every FuzzX in the repository, FUZZTIME each (default 8s)
#   scripts/fuzz.sh ./internal/importer/   only the targets of these packages
#   FUZZTIME=5m scripts/fuzz.sh      longer (make fuzz)
#   FUZZ_KEEP=20 scripts/fuzz.sh     afterwards, copy up to 20 of the inputs each target found
#                                    new (smallest first) from the Go fuzz cache into its
#                                    testdata/fuzz/FuzzX/, to commit as corpus
#
# Targets are found by their `func FuzzX(f *testing.F)` lines. Each runs alone
# (`go test -run '^$' -fuzz '^FuzzX$'`); a failing input is written by go test to the
# package's testdata/fuzz/FuzzX/ and named in the output, and the script exits non-zero
# after trying every target. The seed corpus (f.Add and testdata/fuzz) also runs in
# every plain `go test`, so a committed crasher stays a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-8s}
# Minimising a new input can take the whole budget on large inputs (XLSX workbooks).
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-50x}
FUZZ_KEEP=${FUZZ_KEEP:-0}

log() { echo "fuzz: $*" >&2; }

dirs=()
if (($# > 0)); then
	for p in "$@"; do dirs+=("${p%/...}"); done
else
	dirs=(.)
fi

mapfile -t targets < <(grep -rIl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "${dirs[@]}" |
	sort | while read -r file; do
		pkg=./$(dirname "${file#./}")
		grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed "s|^func |$pkg |"
	done)
if ((${#targets[@]} == 0)); then
	log "no fuzz targets under ${dirs[*]}"
	exit 1
fi

cache=$(go env GOCACHE)/fuzz/$(go list -m)
failed=()
start=$SECONDS
log "${#targets[@]} targets, $FUZZTIME each"
for t in "${targets[@]}"; do
	pkg=${t% *} name=${t#* }
	log "$pkg $name"
	if ! go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" >"${TMPDIR:-/tmp}/fuzz.$$.log" 2>&1; then
		tail -n 30 "${TMPDIR:-/tmp}/fuzz.$$.log" >&2
		failed+=("$pkg $name")
	else
		tail -n 1 "${TMPDIR:-/tmp}/fuzz.$$.log" | sed 's/^/fuzz:   /' >&2
		grep -E 'execs: [0-9]+' "${TMPDIR:-/tmp}/fuzz.$$.log" | tail -n 1 | sed 's/^/fuzz:   /' >&2 || true
	fi
	if ((FUZZ_KEEP > 0)); then
		src=$cache/${pkg#./}/$name
		dst=$pkg/testdata/fuzz/$name
		if [ -d "$src" ]; then
			mkdir -p "$dst"
			# shellcheck disable=SC2012 # names are hex digests
			ls -Sr "$src" | head -n "$FUZZ_KEEP" | while read -r f; do cp -n "$src/$f" "$dst/$f"; done
		fi
	fi
done
rm -f "${TMPDIR:-/tmp}/fuzz.$$.log"
if ((${#failed[@]} > 0)); then
	log "FAILED after $((SECONDS - start)) s: ${failed[*]}"
	exit 1
fi
log "all ${#targets[@]} targets passed in $((SECONDS - start)) s"
