# trademon — see README.md. `make test` is the one command that runs every test on a
# fresh machine (it installs what it needs: scripts/tools.sh).
GO ?= go
# The Go toolchain trademon is built with: go1.27.3 fixes reachable standard-library
# vulnerabilities of the machine's go1.26.8 (see scripts/ci-test.sh, SECURITY.md).
export GOTOOLCHAIN ?= go1.27.3

.PHONY: test run build vet tools bench vulncheck fuzz faults soak

## test: install missing tools, start influxd 1.8.3, go vet and go test -race ./...
test:
	bash scripts/ci-test.sh

## run: trademon serve with the built-in defaults (embedded store in ./data, 127.0.0.1:8080)
run:
	$(GO) run ./cmd/trademon serve

## build: the trademon binary in ./trademon
build:
	$(GO) build -o trademon ./cmd/trademon

## vet: go vet ./...
vet:
	$(GO) vet ./...

## tools: Debian packages (prometheus, chromium) when missing and influxd 1.8.3 in .tools/bin
tools:
	bash scripts/tools.sh

## bench: every benchmark, 3 runs each (the InfluxDB ones start .tools/bin/influxd)
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./...

## vulncheck: govulncheck ./... against the local vulnerability database (scripts/vulndb.sh)
vulncheck:
	bash scripts/vulndb.sh selftest
	bash scripts/vulndb.sh check ./...

## fuzz: every fuzz target for FUZZTIME each (default 2m; CI runs 6s each)
FUZZTIME ?= 2m
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

## faults: the fault suite (internal/faults: real trademon, influxd and fixture sites on
## loopback; every test bounded); CI runs it as part of go test ./...
faults: tools
	$(GO) test -race -count=1 -timeout 20m -v ./internal/faults/

## soak: serve for SOAK (default 10m) with 10,000 targets, scheduled collections against a
## fixture site and scrapes every 5 s; reports RSS and goroutines (not in CI)
SOAK ?= 10m
soak:
	$(GO) test -run '^TestSoak$$' -count=1 -timeout 60m -v ./internal/perf/ -args -soak.duration=$(SOAK)
