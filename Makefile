# The Makefile is a thin layer over the go tool; CI (.ci/run) runs the same targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO      ?= go
BIN     := bin/backfill
LDFLAGS := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short vet lint fmt-check bench fuzz golden demo clean jsforce-check sf-check

all: vet test build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/backfill

## test: the whole test suite with the race detector (what CI runs)
test:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

fmt-check:
	@out=$$(gofmt -l . | grep -v '^testdata/' || true); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## demo: the README's first command: preflight, plan and import of the sample export against
## a local demo org (the emulator, in process)
demo: build
	$(BIN) demo

## golden: rewrite the golden files and the CLI scripts' expected output after a deliberate
## change (review the diff like code). Only these packages define -update.
GOLDEN_PKGS := ./backfill/ ./backfill/report/ ./cmd/backfill/
golden:
	$(GO) test -count=1 $(GOLDEN_PKGS) -update

## bench: Go benchmarks of the engine, then the 1,000,000-row reference job through the binary
## (prints MB/s, rows/s and peak RSS; the first run generates ~320 MB of input in $$TMPDIR)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 10x ./csvdiff/
	$(GO) test -run '^$$' -bench Clean1M -benchtime 3x ./cmd/backfill/

fuzz:
	$(GO) test ./csvdiff -run '^$$' -fuzz FuzzClean -fuzztime 30s

clean:
	rm -rf bin backfill-runs

## sf-tools: Node 22 (the npm registry's "node" package) and the Salesforce CLI (@salesforce/cli),
## pinned in scripts/sf-check/package.json, into scripts/sf-check/node_modules (git-ignored) on first use
SF_CHECK_DIR := scripts/sf-check
SF_NODE      := $(SF_CHECK_DIR)/node_modules/node/bin/node
.PHONY: sf-tools
sf-tools:
	@if [ ! -x $(SF_NODE) ] || [ ! -f $(SF_CHECK_DIR)/node_modules/@salesforce/cli/bin/run.js ]; then \
		cd $(SF_CHECK_DIR) && { npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; }; fi

## sf-check: run the real Salesforce CLI against `backfill org`: org login access-token, data query
## (paged, with columns=true), data upsert bulk, data bulk results, data export bulk, and check their
## output (scripts/sf-check/check.sh); skipped when npm is absent. HOME is a temporary folder.
.PHONY: sf-check
sf-check:
	@if ! command -v npm >/dev/null 2>&1; then echo "sf-check: skipped (npm not found)"; exit 0; fi; \
	set -e; $(MAKE) --no-print-directory sf-tools; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) build -o "$$tmp/backfill" ./cmd/backfill; \
	$(SF_CHECK_DIR)/with-org.sh "$$tmp/backfill" $(SF_CHECK_DIR)/check.sh

## jsforce-check: run jsforce's current release (Node 22 from sf-tools) against `backfill org`
## (paged query, Tooling query, describe, Bulk 2.0 upsert); skipped when npm is absent
.PHONY: jsforce-check
jsforce-check:
	@if ! command -v npm >/dev/null 2>&1; then echo "jsforce-check: skipped (npm not found)"; exit 0; fi; \
	set -e; $(MAKE) --no-print-directory sf-tools; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) build -o "$$tmp/backfill" ./cmd/backfill; \
	(cd scripts/jsforce-check && { npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; }); \
	$(SF_CHECK_DIR)/with-org.sh "$$tmp/backfill" $(SF_NODE) scripts/jsforce-check/check.mjs

## report-check: run `backfill demo` (preflight, plan and import of the sample), render its report.html with headless
## Chromium (--dump-dom and a 1280x2000 screenshot) and check the page is not blank and its
## charts drew bars (scripts/report-check). Skipped when chromium is absent; on Debian:
## apt-get install -y chromium. REPORT_PNG=docs/report.png keeps the screenshot.
.PHONY: report-check
REPORT_PNG ?=
report-check:
	@chrome=$$(command -v chromium || command -v chromium-browser || command -v google-chrome || true); \
	if [ -z "$$chrome" ]; then echo "report-check: skipped (chromium not found; apt-get install -y chromium)"; exit 0; fi; \
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) build -o "$$tmp/backfill" ./cmd/backfill; \
	"$$tmp/backfill" demo --out "$$tmp/run" --job-delay 0 > "$$tmp/demo.out"; \
	url="file://$$tmp/run/report.html"; \
	headless() { profile=$$(mktemp -d); \
		timeout 120 "$$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --disable-quic --hide-scrollbars \
			--user-data-dir="$$profile" "$$@" 2>>"$$tmp/chromium.log"; rc=$$?; rm -rf "$$profile"; return $$rc; }; \
	headless --dump-dom "$$url" > "$$tmp/dom.html" || { cat "$$tmp/chromium.log"; exit 1; }; \
	grep -q '<title>backfill [a-z]* report</title>' "$$tmp/dom.html" || { echo "report-check: the page did not render (no title in the DOM)"; exit 1; }; \
	headless --screenshot="$$tmp/report.png" --window-size=1280,2000 "$$url" || { cat "$$tmp/chromium.log"; exit 1; }; \
	$(GO) run ./scripts/report-check "$$tmp/report.png"; \
	if [ -n "$(REPORT_PNG)" ]; then cp "$$tmp/report.png" "$(REPORT_PNG)"; echo "report-check: screenshot saved as $(REPORT_PNG)"; fi; \
	echo "report-check: ok"

## soak: plan and import of 2,000,000 rows against the emulator with random faults (5% of
## REST calls answer 503, sessions expire every 1,000 calls, 1% of rows fail, one kill -9
## mid-import, then resume); then the kill loop: import and resume killed at random moments
## (SIGKILL and Ctrl-C) round after round while the org expires and aborts jobs, 5 runs of
## 20,000 rows. Both check the org and the ledger exactly and print the figures
## (docs/RELIABILITY.md). About 2 minutes and 4 GB of RAM (the emulator holds every record);
## BACKFILL_SOAK_ROWS=100000 for a quick run. Not part of `make test` (skipped without
## BACKFILL_SOAK=1).
.PHONY: soak
soak:
	BACKFILL_SOAK=1 $(GO) test -run '^(TestSoak|TestKillLoop)$$' -count=1 -v -timeout 60m ./cmd/backfill/
