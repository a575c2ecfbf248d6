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
#    the encoding, pipes and decoding inside the three stages. Target < 0.25.
#
# Usage: scripts/bench-pipeline.sh [EPOCHS [REPEAT]]   (tools from $BIN,
# default bin/; PRECISION=float32 passes --precision float32 to ssl-train)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
EPOCHS=${1:-5}
REPEAT=${2:-3}
need_tools bench-pipeline hltm-gen augment ssl-train
bench_tmp
n=$((EPOCHS * ROWS))
for threads in 2 1; do
	start=$(date +%s.%N)
	ref_gen "$n" "$threads" | ref_augment "$threads" |
		ref_train "$threads" >"$tmp/net$threads.arrows" 2>"$tmp/log$threads"
	end=$(date +%s.%N)
	summary=$(grep 'trained epochs' "$tmp/log$threads" | sed 's/^ssl-train: //')
	awk -v s="$start" -v e="$end" -v n="$EPOCHS" -v t="$threads" -v sum="$summary" 'BEGIN {
		printf "pipeline --threads %d: %.3f s/epoch (generation + augmentation + training, %d epochs of 64000 rows); ssl-train: %s\n", t, (e - s) / n, n, sum
	}'
done
if cmp -s "$tmp/net1.arrows" "$tmp/net2.arrows"; then
	echo "pipeline: --threads 1 and 2 give byte-identical networks"
else
	echo "pipeline: --threads 1 and 2 differ" >&2
	exit 1
fi

# cpu FILE: user + system seconds from bash's time (TIMEFORMAT below).
cpu() { awk '{ print $1 + $2 }' "$1"; }
TIMEFORMAT='%3U %3S'
ref_gen "$ROWS" 1 | ref_augment 1 >"$tmp/epoch.arrows"
: >"$tmp/ratios"
for r in $(seq "$REPEAT"); do
	{ time ref_gen "$n" 1 2>/dev/null; } 2>"$tmp/t.gen" |
		{ time ref_augment 1 2>/dev/null; } 2>"$tmp/t.aug" |
		{ time ref_train 1 -q >/dev/null 2>&1; } 2>"$tmp/t.pipe"
	{ time ref_train 1 -q --epochs "$EPOCHS" --in "$tmp/epoch.arrows" >/dev/null 2>&1; } 2>"$tmp/t.once"
	{ time ref_train 1 -q --epochs $((2 * EPOCHS)) --in "$tmp/epoch.arrows" >/dev/null 2>&1; } 2>"$tmp/t.twice"
	awk -v g="$(cpu "$tmp/t.gen")" -v a="$(cpu "$tmp/t.aug")" -v p="$(cpu "$tmp/t.pipe")" \
		-v once="$(cpu "$tmp/t.once")" -v twice="$(cpu "$tmp/t.twice")" -v n="$EPOCHS" -v r="$r" 'BEGIN {
		g /= n; a /= n; p /= n; t = (twice - once) / n; rd = p - t
		printf "cost --threads 1, run %d: CPU-s/epoch hltm-gen %.4f, augment %.4f, ssl-train %.4f = training %.4f + reading %.4f; (generation + augmentation + transport) / training = %.3f\n", r, g, a, p, t, rd, (g + a + rd) / t
	}' | tee -a "$tmp/ratios"
done
sed 's/.* = //' "$tmp/ratios" | sort -n | awk '{ v[NR] = $1 } END {
	printf "cost: (generation + augmentation + transport) / training: median %.3f (range %.3f-%.3f over %d runs; target < 0.25)\n", v[int((NR + 1) / 2)], v[1], v[NR], NR
}'
