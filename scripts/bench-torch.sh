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
# Both are timed in wall seconds and in CPU-seconds (user + system of every
# process and thread): on a busy machine the CPU figures are the steadier.
# For T = 1 and 2 it prints both times and torch/dualssl, REPEAT times,
# alternating the two programs so that both see the same load, then the
# medians and ranges of the ratios. Skips (exit 0) when Debian's
# python3-torch is not installed; warns when torch runs on the reference
# (netlib) BLAS rather than OpenBLAS (apt-get install libopenblas0).
#
# Usage: scripts/bench-torch.sh [EPOCHS [REPEAT]]   (tools from $BIN, default bin/;
# THREADS="1 2" by default; PRECISION lists ssl-train precisions, see lib.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
EPOCHS=${1:-5}
REPEAT=${2:-3}
PY=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")/.." && pwd)
if ! "$PY" -c 'import torch' 2>/dev/null; then
	echo "bench-torch: skipped: no PyTorch for $PY (apt-get install python3-torch libopenblas0)" >&2
	exit 0
fi
need_tools bench-torch hltm-gen augment ssl-train probe
bench_tmp
n=$((EPOCHS * ROWS))

dualssl() { # threads precision -> "wall CPU" seconds per epoch on stdout
	local th=$1 prec=$2 TIMEFORMAT='%3R %3U %3S'
	{
		time {
			ref_gen "$n" "$th" | ref_augment "$th" | ref_train "$th" "$prec" -q --out "$tmp/net.arrows"
			"$BIN/hltm-gen" --from "$tmp/net.arrows" -n "$ROWS" --seed 4 -q --threads "$th" --out "$tmp/probe-samples.arrows"
			"$BIN/probe" --data "$tmp/probe-samples.arrows" --threads "$th" -q --out "$tmp/probe.arrows" <"$tmp/net.arrows"
		}
	} 2>"$tmp/dualssl.time"
	awk -v n="$EPOCHS" '{ printf "%.4f %.4f\n", $1 / n, ($2 + $3) / n }' "$tmp/dualssl.time"
}

torch() { # threads -> "wall CPU" seconds per epoch on stdout
	"$PY" "$here/bench/torch_reference.py" --threads "$1" --epochs "$EPOCHS" --rows "$ROWS" 2>"$tmp/torch.log" |
		sed -n 's/^torch: threads [0-9]*: \([0-9.]*\) s\/epoch, \([0-9.]*\) CPU-s\/epoch.*/\1 \2/p'
	if grep -q 'BLAS.*/blas/libblas' "$tmp/torch.log"; then
		echo "bench-torch: warning: torch runs on the reference BLAS (apt-get install libopenblas0)" >&2
	fi
}

for th in ${THREADS:-1 2}; do
	for prec in $PRECISION; do
		: >"$tmp/ratios"
		for r in $(seq "$REPEAT"); do
			read -r dw dc < <(dualssl "$th" "$prec")
			read -r pw pc < <(torch "$th")
			awk -v dw="$dw" -v dc="$dc" -v pw="$pw" -v pc="$pc" -v t="$th" -v p="$prec" -v r="$r" 'BEGIN {
				printf "threads %d, precision %s, run %d: dualssl %.3f s/epoch (%.3f CPU-s), torch %.3f s/epoch (%.3f CPU-s): torch/dualssl %.2f (CPU %.2f)\n", t, p, r, dw, dc, pw, pc, pw / dw, pc / dc
			}'
			echo "$dw $dc $pw $pc" >>"$tmp/ratios"
		done
		awk -v t="$th" -v p="$prec" '
			function med(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } return a[int((n + 1) / 2)] }
			{ rw[NR] = $3 / $1; rc[NR] = $4 / $2; dw[NR] = $1; pw[NR] = $3 }
			END {
				mw = med(rw, NR); mc = med(rc, NR); med(dw, NR); med(pw, NR)
				printf "threads %d, precision %s: torch/dualssl median %.2f (range %.2f-%.2f over %d runs; CPU-seconds: median %.2f, range %.2f-%.2f); best dualssl %.3f s/epoch, best torch %.3f s/epoch\n", t, p, mw, rw[1], rw[NR], NR, mc, rc[1], rc[NR], dw[1], pw[1]
			}' "$tmp/ratios"
	done
done
