#!/usr/bin/env bash
# Times the reference configuration end to end, as one pipe:
#
#   hltm-gen (depth 5, binary, delta-lower 0.8) | augment (keep the root,
#   one explicit negative) | ssl-train (hid 10, batch 128, nce-ref, τ 0.1,
#   64000 fresh rows per epoch)
#
# 1. Seconds per epoch for generation + augmentation + training with every
#    stage on --threads 2, then 1, the training's own GFLOP/s, and whether
#    the two give byte-identical networks.
# 2. Where the CPU goes, every stage on one thread, REPEAT times: each
#    stage's CPU-seconds (user + system, bash's time) per epoch in the pipe;
#    training alone, as ssl-train replaying one epoch of views from memory
#    (the CPU of 2·EPOCHS epochs less that of EPOCHS, so loading cancels);
#    ssl-train's reading = its CPU in the pipe less training; and
#    (generation + augmentation + transport) / training, where transport is
#    the encoding, pipes and decoding inside the three stages; each figure
#    the median over the runs. Target < 0.25.
#
# Both parts run for each ssl-train precision in $PRECISION (see lib.sh;
# PRECISION="float64 float32" measures both in the same run).
#
# Usage: scripts/bench-pipeline.sh [EPOCHS [REPEAT]]   (tools from $BIN, default bin/)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
EPOCHS=${1:-5}
REPEAT=${2:-3}
need_tools bench-pipeline hltm-gen augment ssl-train
bench_tmp
n=$((EPOCHS * ROWS))
status=0
for prec in $PRECISION; do
	for threads in 2 1; do
		start=$(date +%s.%N)
		ref_gen "$n" "$threads" | ref_augment "$threads" |
			ref_train "$threads" "$prec" >"$tmp/net$threads.arrows" 2>"$tmp/log$threads"
		end=$(date +%s.%N)
		summary=$(grep 'trained epochs' "$tmp/log$threads" | sed 's/^ssl-train: //')
		awk -v s="$start" -v e="$end" -v n="$EPOCHS" -v t="$threads" -v p="$prec" -v rows="$ROWS" -v sum="$summary" 'BEGIN {
			printf "pipeline --threads %d, precision %s: %.3f s/epoch (generation + augmentation + training, %d epochs of %d rows); ssl-train: %s\n", t, p, (e - s) / n, n, rows, sum
		}'
	done
	if cmp -s "$tmp/net1.arrows" "$tmp/net2.arrows"; then
		echo "pipeline: precision $prec: --threads 1 and 2 give byte-identical networks"
	else
		echo "pipeline: precision $prec: --threads 1 and 2 differ" >&2
		status=1
	fi
done

# cpu FILE: user + system seconds from bash's time (TIMEFORMAT below).
cpu() { awk '{ print $1 + $2 }' "$1"; }
TIMEFORMAT='%3U %3S'
ref_gen "$ROWS" 1 | ref_augment 1 >"$tmp/epoch.arrows"
for prec in $PRECISION; do
	: >"$tmp/runs"
	for r in $(seq "$REPEAT"); do
		{ time ref_gen "$n" 1 2>/dev/null; } 2>"$tmp/t.gen" |
			{ time ref_augment 1 2>/dev/null; } 2>"$tmp/t.aug" |
			{ time ref_train 1 "$prec" -q >/dev/null 2>&1; } 2>"$tmp/t.pipe"
		{ time ref_train 1 "$prec" -q --epochs "$EPOCHS" --in "$tmp/epoch.arrows" >/dev/null 2>&1; } 2>"$tmp/t.once"
		{ time ref_train 1 "$prec" -q --epochs $((2 * EPOCHS)) --in "$tmp/epoch.arrows" >/dev/null 2>&1; } 2>"$tmp/t.twice"
		echo "$(cpu "$tmp/t.gen") $(cpu "$tmp/t.aug") $(cpu "$tmp/t.pipe") $(cpu "$tmp/t.once") $(cpu "$tmp/t.twice")" >>"$tmp/runs"
	done
	# Each figure is the median over the runs; reading = ssl-train in the
	# pipe less training.
	awk -v n="$EPOCHS" -v prec="$prec" '
		function med(a, k,   i, j, x) { for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } return a[int((k + 1) / 2)] }
		{
			G[NR] = $1 / n; A[NR] = $2 / n; P[NR] = $3 / n; T[NR] = ($5 - $4) / n
			printf "cost --threads 1, precision %s, run %d: CPU-s/epoch hltm-gen %.4f, augment %.4f, ssl-train %.4f; training alone %.4f\n", prec, NR, G[NR], A[NR], P[NR], T[NR]
		}
		END {
			g = med(G, NR); a = med(A, NR); p = med(P, NR); t = med(T, NR); rd = p - t
			printf "cost (medians of %d runs, precision %s): CPU-s/epoch hltm-gen %.4f + augment %.4f + reading in ssl-train %.4f = %.4f against training %.4f: (generation + augmentation + transport) / training = %.3f (target < 0.25)\n", NR, prec, g, a, rd, g + a + rd, t, (g + a + rd) / t
		}' "$tmp/runs"
done
exit $status
