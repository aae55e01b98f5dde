# The Makefile is a thin layer over the go tool; CI (.ci/run) runs the same targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO      ?= go
BIN     := bin/backfill
LDFLAGS := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short vet lint fmt-check bench fuzz golden demo clean

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

golden:
	$(GO) test ./... -update

fuzz:
	$(GO) test ./csvdiff -run '^$$' -fuzz FuzzClean -fuzztime 30s

clean:
	rm -rf bin backfill-runs
