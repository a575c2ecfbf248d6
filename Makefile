# dualssl: build, test, demo and benchmarks.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

GO    ?= go
BIN   := bin
TOOLS := $(notdir $(wildcard cmd/*))

.PHONY: all build test bench demo clean vet fmt

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd pkg)" || { gofmt -l cmd pkg; echo "gofmt needed"; exit 1; }

test: vet
	$(GO) test -race -count=1 ./...

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
	BIN=$(BIN) bash scripts/bench-pipeline.sh

# demo: the reference pipeline end to end on the toolkit's own binaries.
# Later stages append their steps below the augment step.
demo: build
	@mkdir -p demo
	$(BIN)/hltm-gen --depth 5 --children 2 --delta-lower 0.8 -n 64000 --seed 1 --nodes demo/nodes.arrows \
	  | $(BIN)/augment --seed 2 > demo/pairs.arrows
	$(BIN)/dualssl-cat --head 3 demo/pairs.arrows

clean:
	rm -rf $(BIN) demo runs
