# dualssl: build, test, demo and benchmarks.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

GO    ?= go
BIN   := bin
TOOLS := $(notdir $(wildcard cmd/*))

.PHONY: all build test bench demo reproduce clean vet fmt

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	@echo "== go vet and gofmt: static checks of every package" >&2
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd pkg)" || { gofmt -l cmd pkg; echo "gofmt needed"; exit 1; }

# GORACE atexit_sleep_ms=0: the race runtime otherwise sleeps 1 s at the exit
# of every tool process that the end-to-end scripts start. The second run
# builds the kernels' packages with -tags purego: the portable fallback
# alone, as on a CPU without AVX2 or another architecture.
test: vet
	@echo "== go test -race: every package with the race detector (unit, statistical, end-to-end scripts," >&2
	@echo "   the Polars/DuckDB interop test); the first minute or two compiles in silence, then one" >&2
	@echo "   line per package as it finishes (pkg/cli/e2e, the longest, last; a few minutes on 2 cores)" >&2
	GORACE=atexit_sleep_ms=0 $(GO) test -race -count=1 ./...
	@echo "== go test -tags purego: the portable kernels alone, as on a CPU without AVX2" >&2
	$(GO) test -count=1 -tags purego ./pkg/nn/... ./pkg/train/... ./pkg/probe/...

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
	BIN=$(BIN) bash scripts/bench-pipeline.sh
	BIN=$(BIN) bash scripts/bench-torch.sh

# demo: the paper's HLTM experiment in its reference configuration (depth 5,
# binary, delta-lower 0.8, hid 10, nce-ref with temperature 0.1 and one
# explicit negative, SGD lr 0.1, batch 128, 50 epochs of 64000 fresh
# samples), then the probe on every snapshot and the covariance operators
# of the initial, middle and final networks. Tables go to the terminal
# (stderr), files and plots into demo/.
DEMO_EPOCHS ?= 50
DEMO_ROWS   ?= 64000
demo: build
	@mkdir -p demo
	@echo "== training: hltm-gen | augment | ssl-train ($(DEMO_EPOCHS) epochs of $(DEMO_ROWS) fresh samples)" >&2
	$(BIN)/hltm-gen --depth 5 --children 2 --delta-lower 0.8 -n $$(( $(DEMO_EPOCHS) * $(DEMO_ROWS) )) --seed 1 --nodes demo/nodes.arrows -q \
	  | $(BIN)/augment --keep root --negatives 1 --seed 2 -q \
	  | $(BIN)/ssl-train --arch tree --hid 10 --loss nce-ref --temp 0.1 --lr 0.1 --batch 128 \
	      --epoch-rows $(DEMO_ROWS) --seed 3 --log demo/train.arrows --out demo/net.arrows
	@echo "== probe: best |corr| of each latent with its neurons, and linear evaluation, against their exact ceilings" >&2
	$(BIN)/hltm-gen --from demo/net.arrows -n $(DEMO_ROWS) --seed 4 --out demo/samples.arrows -q
	$(BIN)/probe --data demo/samples.arrows --in demo/net.arrows --out demo/probe.arrows \
	  --neurons demo/neurons.arrows --plot demo/probe.png \
	  --lineval demo/lineval.arrows
	@echo "== covop: covariance operators of the initial, middle and final networks" >&2
	$(BIN)/hltm-gen --from demo/net.arrows -n $(DEMO_ROWS) --seed 5 -q | $(BIN)/augment --keep root --seed 6 -q --out demo/views.arrows
	$(BIN)/covop --data demo/views.arrows --in demo/net.arrows --epochs first,middle,last --out demo/covop.arrows
	@echo "== wrote demo/: net, train log, probe (+ neurons, probe.png), covop; inspect with bin/dualssl-cat" >&2

# reproduce: the paper's qualitative claims as a sweep (sweeps/reproduce.txt:
# 9 settings x 5 seeds, one factor at a time), then the summary table that
# the README quotes. make -k lets the other runs go on if one fails; the
# report names the failed ones.
reproduce: build
	$(BIN)/hltm-sweep make --bin $(BIN)/ --runs reproduce/runs --out reproduce/sweep.mk sweeps/reproduce.txt
	$(MAKE) -f reproduce/sweep.mk -k -j$$(nproc) all

clean:
	rm -rf $(BIN) demo runs reproduce
