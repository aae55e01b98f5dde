# The Makefile is a thin layer over the go tool; CI (.ci/run) runs the same targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null)
GO      ?= go
BIN     := bin/backfill
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short vet lint fmt-check bench bench-batch fuzz golden demo clean jsforce-check sf-check windows-check darwin-check dist dist-check ui-check ui-tools

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

## demo: the README's first command: preflight, plan, import and verify of the sample export against
## a local demo org (the emulator, in process)
demo: build
	$(BIN) demo

## golden: rewrite the golden files and the CLI scripts' expected output after a deliberate
## change (review the diff like code). Only these packages define -update.
GOLDEN_PKGS := ./backfill/ ./backfill/report/ ./cmd/backfill/
golden:
	$(GO) test -count=1 $(GOLDEN_PKGS) -update

## bench: the engine's Go benchmarks (csvdiff; BytesPerKey, the 5,000,000-row bytes-per-key
## one, once when it exists), BenchmarkClean1M, then the reference job (csvdifftest.ReferenceJob:
## 1,000,000 rows, 266 MB, against 900,000 existing keys; generated once per machine in $$TMPDIR)
## three ways on the same files, by scripts/bench: backfill clean (built from this tree), DuckDB
## doing the same job as SQL (scripts/bench/duckdb.go: several formulations, each run through
## Node, scripts/bench/duckdb.mjs, and from C, scripts/bench/duckdb-native, built with cc against
## the library of the Node bindings; the fastest that does the whole job is the anchor;
## @duckdb/node-api pinned in scripts/bench/package.json, installed into scripts/bench/node_modules
## on first use; DuckDB skipped without npm, the C runner without cc) and plain Go with
## encoding/csv and a map (scripts/bench/naive); then backfill and the anchor on four other
## CE-shaped exports (scripts/bench/variants.go). Medians of BENCH_RUNS whole-process runs each
## after a warm-up, the tools alternating: wall time, peak RSS, MB/s and the ratios to DuckDB,
## written to docs/bench.json, from which the README's Performance table is rewritten. About
## twenty minutes. Not part of make test.
BENCH_RUNS ?= 5
bench:
	$(GO) test -run '^$$' -bench . -skip BytesPerKey -benchtime 10x ./csvdiff/
	$(GO) test -run '^$$' -bench BytesPerKey -benchtime 1x ./csvdiff/
	$(GO) test -run '^$$' -bench PlanBytesPerKey -benchtime 1x ./backfill/
	$(GO) test -run '^$$' -bench Clean1M -benchtime 3x ./cmd/backfill/
	$(GO) run ./scripts/bench run -go $(GO) -runs $(BENCH_RUNS) -out docs/bench.json
	$(GO) run ./scripts/bench readme -in docs/bench.json -readme README.md

## bench-batch: BenchmarkBatch, once: batch plan then batch import of 10 and of 40 customers, each
## a 100,000-row export (generated once per machine in $$TMPDIR, 27 MB each) and an emulated org of
## its own (in a process of its own): wall time, peak RSS of the batch process, API calls. About
## 15 minutes on 2 cores and 6 GB of memory for the emulators. Not part of make test or make bench.
bench-batch:
	$(GO) test -run '^$$' -bench Batch -benchtime 1x -timeout 0 ./cmd/backfill/

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

## report-check: render two reports in headless Chromium, 420 and 1280 px wide, and check
## them with scripts/report-check: the report of `backfill demo` (preflight, plan and import of
## the sample) and the report of testdata/golden/report-large/summary.json (2,000,000 rows,
## 300-character messages, a job error without spaces, 20 jobs). Each page is shown in a frame
## of the width (Chromium's window is 500 px at least); --dump-dom carries what a script
## measured in the browser and --screenshot the picture. It fails when a page is blank, its
## charts drew no bars, the report is wider than its frame (document scrollWidth) or any
## element sticks out of it, left or right, outside a container that scrolls sideways (the
## jobs table does). Skipped when chromium is absent; on Debian: apt-get install -y chromium.
## The demo's run folder is backfill-runs/demo-<UTC time>-report-check, removed at the end.
## REPORT_IMAGES=docs/images also writes the README's pictures: report-1280.png and
## report-420.png (the top of the demo's report) and summary.png (its plan summary in a
## terminal).
.PHONY: report-check
REPORT_IMAGES ?=
report-check:
	@chrome=$$(command -v chromium || command -v chromium-browser || command -v google-chrome || true); \
	if [ -z "$$chrome" ]; then echo "report-check: skipped (chromium not found; apt-get install -y chromium)"; exit 0; fi; \
	set -e; tmp=$$(mktemp -d); run=backfill-runs/demo-$$(date -u +%Y%m%dT%H%M%SZ)-report-check; \
	trap 'rm -rf "$$tmp" "$$run"' EXIT; \
	$(GO) build -o "$$tmp/backfill" ./cmd/backfill; \
	$(GO) build -o "$$tmp/report-check" ./scripts/report-check; \
	"$$tmp/backfill" demo --out "$$run" --job-delay 0 > "$$tmp/demo.out"; \
	cp "$$run/report.html" "$$tmp/demo.html"; \
	if [ -n "$(REPORT_IMAGES)" ]; then mkdir -p "$(REPORT_IMAGES)"; fi; \
	"$$tmp/report-check" render testdata/golden/report-large/summary.json > "$$tmp/large.html"; \
	headless() { profile=$$(mktemp -d); \
		timeout 120 "$$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --disable-quic --hide-scrollbars \
			--user-data-dir="$$profile" "$$@" 2>>"$$tmp/chromium.log"; rc=$$?; rm -rf "$$profile"; return $$rc; }; \
	for page in demo large; do for w in 420 1280; do \
		shot="$$tmp/$$page-$$w"; win=$$(( w < 500 ? 500 : w )); \
		"$$tmp/report-check" frame -width $$w "$$tmp/$$page.html" > "$$shot.frame.html"; \
		headless --window-size=$$win,12000 --dump-dom "file://$$shot.frame.html" > "$$shot.dom.html" || { cat "$$tmp/chromium.log"; exit 1; }; \
		headless --window-size=$$win,12000 --screenshot="$$shot.png" "file://$$shot.frame.html" || { cat "$$tmp/chromium.log"; exit 1; }; \
		save=""; height=1000; if [ $$w = 420 ]; then height=1400; fi; \
		if [ -n "$(REPORT_IMAGES)" ] && [ $$page = demo ]; then save="$(REPORT_IMAGES)/report-$$w.png"; fi; \
		"$$tmp/report-check" -width $$w -dom "$$shot.dom.html" $${save:+-save "$$save" -save-height $$height} "$$shot.png"; \
	done; done; \
	if [ -n "$(REPORT_IMAGES)" ]; then \
		sed -n '/^== 2\/4 plan/,/^== 3\/4/p' "$$tmp/demo.out" | sed '$$d' > "$$tmp/plan.txt"; \
		"$$tmp/report-check" terminal -title "backfill demo: the plan" "$$tmp/plan.txt" > "$$tmp/terminal.html"; \
		headless --window-size=1000,760 --screenshot="$(REPORT_IMAGES)/summary.png" "file://$$tmp/terminal.html" || { cat "$$tmp/chromium.log"; exit 1; }; \
		echo "report-check: saved $(REPORT_IMAGES)/summary.png"; \
	fi; \
	echo "report-check: ok"

## ui-tools: Debian's chromium, for the browser tests of backfill ui, installed with apt-get
## when it is missing and this is root on Debian; otherwise a message says how (the tests then
## skip themselves with that message).
CHROMIUM = $$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
ui-tools:
	@if [ -n "$(CHROMIUM)" ]; then echo "ui-tools: chromium found: $(CHROMIUM)"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "ui-tools: chromium not found and not installable here (Debian: apt-get install -y chromium): the browser tests skip"; exit 0; fi; \
	echo "ui-tools: installing chromium from Debian"; \
	export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null && \
	echo "ui-tools: chromium installed: $(CHROMIUM)"

## ui-check: the browser tests of backfill ui alone (headless Chromium through chromedp against
## the practice org: the whole flow with the run folder checked after each step, the security
## rules, a tab closed mid-import then Resume), verbose, with each step's time. go test skips
## them unless BACKFILL_BROWSER=1 (about 45 s of Chromium); CI runs this target. Fails when
## chromium is absent (run make ui-tools). UI_IMAGES=docs/images also writes the README's pictures,
## ui-420.png and ui-1280.png.
UI_IMAGES ?=
ui-check:
	@if [ -z "$(CHROMIUM)" ]; then echo "ui-check: chromium not found (make ui-tools, or apt-get install -y chromium)"; exit 1; fi; \
	images="$(UI_IMAGES)"; if [ -n "$$images" ]; then mkdir -p "$$images"; images=$$(cd "$$images" && pwd); fi; \
	log=$$(mktemp); trap 'rm -f "$$log"' EXIT; rc=0; \
	BACKFILL_BROWSER=1 BACKFILL_UI_IMAGES="$$images" $(GO) test -count=1 -run '^TestBrowser' -v ./backfill/ui/ > "$$log" 2>&1 || rc=$$?; \
	grep -v 'logger.go:' "$$log"; exit $$rc

## soak: plan and import of 2,000,000 rows against the emulator with random faults (5% of
## REST calls answer 503, sessions expire every 1,000 calls, 1% of rows fail, one kill -9
## mid-import, then resume); then the kill loop: import and resume killed at random moments
## (SIGKILL and Ctrl-C) round after round while the org expires and aborts jobs, 5 runs of
## 20,000 rows; then the undo sequences: 6 seeded sequences of 24 commands on one run folder
## (import --plan, resume, verify, undo with and without --yes, --force, --keep-updated-at) with
## kills, lost files and someone else's records between them, the org checked after every step.
## All check the org and the ledger exactly and print the figures
## (docs/RELIABILITY.md). About 4 minutes and 3 GB of RAM (the emulator holds every record; the soak's
## test process runs with GOMEMLIMIT=3GiB);
## BACKFILL_SOAK_ROWS=100000 for a quick run. Not part of `make test` (skipped without
## BACKFILL_SOAK=1).
.PHONY: soak
soak:
	GOMEMLIMIT=3GiB BACKFILL_SOAK=1 $(GO) test -run '^TestSoak$$' -count=1 -v -timeout 60m ./cmd/backfill/
	BACKFILL_SOAK=1 $(GO) test -run '^TestKillLoop$$' -count=1 -v -timeout 60m ./cmd/backfill/
	BACKFILL_SOAK=1 $(GO) test -run '^TestUndoSequences$$' -count=1 -v -timeout 30m ./cmd/backfill/

## windows-check: backfill and every package's tests cross-compiled for windows/amd64 and run
## under Wine (installed from Debian when missing): demo, clean compared byte for byte with
## the Linux binary, plan/import/kill/resume/verify/undo against backfill org, the test
## binaries in -short mode. scripts/windows-check/run.sh says what and how; about 2 minutes.
windows-check:
	bash scripts/windows-check/run.sh

## darwin-check: backfill built for macOS, darwin/arm64 and darwin/amd64, and every package,
## tests included, vetted for both (no Mac here to run them; make windows-check runs Windows)
DARWIN_ARCHS := arm64 amd64
darwin-check:
	@set -e; for arch in $(DARWIN_ARCHS); do \
		GOOS=darwin GOARCH=$$arch $(GO) build -o /dev/null ./cmd/backfill; \
		GOOS=darwin GOARCH=$$arch $(GO) vet ./...; \
		echo "darwin/$$arch: backfill builds, go vet ./... clean"; \
	done

## dist: the release archives in snapshot mode into dist/ (GoReleaser, pinned in
## scripts/release/run.sh and run with go run, like staticcheck: six archives, zip on
## Windows, and a SHA-256 checksums file; .goreleaser.yaml). Builds HEAD.
dist:
	bash scripts/release/run.sh dist

## dist-check: goreleaser check, make dist, the archive list and checksums, and the
## linux/amd64 archive unpacked without Go running backfill demo
dist-check:
	bash scripts/release/run.sh check
