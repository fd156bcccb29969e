# trademon — see README.md. `make test` is the one command that runs every test on a
# fresh machine (it installs what it needs: scripts/tools.sh).
GO ?= go

.PHONY: test run build vet tools bench

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
