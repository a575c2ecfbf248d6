#!/usr/bin/env bash
# Side by side: the reference experiment per epoch in dualssl and in a
# vectorised PyTorch implementation (bench/torch_reference.py, float32), on
# the same machine in the same run.
#
# One epoch = 64000 fresh samples generated, augmented (keep the root, one
# explicit negative), trained on (depth 5, hid 10, nce-ref, tau 0.1, SGD lr
# 0.1, batch 128), and the snapshot probed on 64000 fresh samples.
#
#   dualssl: hltm-gen | augment | ssl-train over EPOCHS epochs (a snapshot
#            after each), then hltm-gen --from net -n 64000 and probe of
#            every snapshot; seconds / EPOCHS. Every stage --threads T.
#   torch:   bench/torch_reference.py --threads T --epochs EPOCHS (after a
#            warm-up epoch); its mean seconds per epoch.
#
# For T = 1 and 2 it prints both times and torch/dualssl, REPEAT times,
# alternating the two programs so that both see the same load, then the
# median and range of the ratios. Skips (exit 0) when Debian's python3-torch
# is not installed.
#
# PRECISION is ssl-train's --precision (default float64); PRECISION="float64
# float32" runs dualssl in both, alternating within every repeat, and
# reports the ratios of each.
#
# Usage: scripts/bench-torch.sh [EPOCHS [REPEAT]]   (tools from $BIN, default bin/;
# THREADS="1 2" by default)
set -euo pipefail
EPOCHS=${1:-5}
REPEAT=${2:-3}
PRECISION=${PRECISION:-float64}
ROWS=64000
BIN=${BIN:-bin}
PY=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")/.." && pwd)
if ! "$PY" -c 'import torch' 2>/dev/null; then
	echo "bench-torch: skipped: no PyTorch for $PY (apt-get install python3-torch)" >&2
	exit 0
fi
for t in hltm-gen augment ssl-train probe; do
	if [[ ! -x $BIN/$t ]]; then
		echo "bench-torch: $BIN/$t is missing: run make build first" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$((EPOCHS * ROWS))

dualssl() { # threads precision -> seconds per epoch on stdout
	local th=$1 prec=$2 start end
	start=$(date +%s.%N)
	"$BIN/hltm-gen" --depth 5 --children 2 --delta-lower 0.8 -n "$n" --seed 1 -q --threads "$th" |
		"$BIN/augment" --keep root --negatives 1 --seed 2 -q --threads "$th" |
		"$BIN/ssl-train" --arch tree --hid 10 --loss nce-ref --temp 0.1 --lr 0.1 --batch 128 \
			--precision "$prec" --epoch-rows "$ROWS" --seed 3 --threads "$th" -q --out "$tmp/net.arrows"
	"$BIN/hltm-gen" --from "$tmp/net.arrows" -n "$ROWS" --seed 4 -q --threads "$th" --out "$tmp/probe-samples.arrows"
	"$BIN/probe" --data "$tmp/probe-samples.arrows" --threads "$th" -q --out "$tmp/probe.arrows" <"$tmp/net.arrows"
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" -v n="$EPOCHS" 'BEGIN { printf "%.4f\n", (e - s) / n }'
}

torch() { # threads -> seconds per epoch on stdout
	"$PY" "$here/bench/torch_reference.py" --threads "$1" --epochs "$EPOCHS" --rows "$ROWS" 2>/dev/null |
		sed -n 's/^torch: threads [0-9]*: \([0-9.]*\) s\/epoch.*/\1/p'
}

for th in ${THREADS:-1 2}; do
	for prec in $PRECISION; do : >"$tmp/ratios$th-$prec"; done
	for r in $(seq "$REPEAT"); do
		for prec in $PRECISION; do
			dualssl "$th" "$prec" >"$tmp/d-$prec"
		done
		p=$(torch "$th")
		for prec in $PRECISION; do
			d=$(cat "$tmp/d-$prec")
			awk -v d="$d" -v p="$p" -v t="$th" -v r="$r" -v pr="$prec" 'BEGIN {
				printf "threads %d, run %d: dualssl (%s) %.3f s/epoch, torch %.3f s/epoch: torch/dualssl %.2f\n", t, r, pr, d, p, p / d
			}'
			awk -v d="$d" -v p="$p" 'BEGIN { printf "%.4f %.4f %.4f\n", p / d, d, p }' >>"$tmp/ratios$th-$prec"
		done
	done
	for prec in $PRECISION; do
		sort -n "$tmp/ratios$th-$prec" | awk -v t="$th" -v pr="$prec" '{ r[NR] = $1; d[NR] = $2; p[NR] = $3 } END {
			m = int((NR + 1) / 2)
			dmin = d[1]; pmin = p[1]
			for (i = 2; i <= NR; i++) { if (d[i] < dmin) dmin = d[i]; if (p[i] < pmin) pmin = p[i] }
			printf "threads %d, dualssl %s: torch/dualssl median %.2f (range %.2f-%.2f over %d runs); best dualssl %.3f s/epoch, best torch %.3f s/epoch\n", t, pr, r[m], r[1], r[NR], NR, dmin, pmin
		}'
	done
done
