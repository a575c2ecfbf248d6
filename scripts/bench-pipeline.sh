#!/usr/bin/env bash
# Times the reference configuration end to end, as one pipe:
#
#   hltm-gen (depth 5, binary, delta-lower 0.8) | augment (keep the root,
#   one explicit negative) | ssl-train (hid 10, batch 128, nce-ref, τ 0.1,
#   64000 fresh rows per epoch)
#
# and prints seconds per epoch for generation + augmentation + training,
# the training's own GFLOP/s over the counted multiply-adds, and whether
# --threads 1 and --threads 2 give identical networks, for each ssl-train
# --precision in $PRECISION (default float64; PRECISION="float64 float32"
# runs both, alternating, in the same run).
#
# Usage: scripts/bench-pipeline.sh [EPOCHS]   (tools from $BIN, default bin/)
set -euo pipefail
EPOCHS=${1:-5}
PRECISION=${PRECISION:-float64}
ROWS=64000
BIN=${BIN:-bin}
for t in hltm-gen augment ssl-train; do
	if [[ ! -x $BIN/$t ]]; then
		echo "bench-pipeline: $BIN/$t is missing: run make build first" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$((EPOCHS * ROWS))
for threads in 2 1; do
	for prec in $PRECISION; do
		start=$(date +%s.%N)
		"$BIN/hltm-gen" --depth 5 --children 2 --delta-lower 0.8 -n "$n" --seed 1 -q |
			"$BIN/augment" --seed 2 --negatives 1 -q |
			"$BIN/ssl-train" --hid 10 --loss nce-ref --temp 0.1 --batch 128 --lr 0.1 --precision "$prec" \
				--epoch-rows "$ROWS" --seed 3 --threads "$threads" >"$tmp/net-$prec-$threads.arrows" 2>"$tmp/log-$prec-$threads"
		end=$(date +%s.%N)
		summary=$(grep 'trained epochs' "$tmp/log-$prec-$threads" | sed 's/^ssl-train: //')
		awk -v s="$start" -v e="$end" -v n="$EPOCHS" -v t="$threads" -v p="$prec" -v sum="$summary" 'BEGIN {
			printf "pipeline --threads %d --precision %s: %.3f s/epoch (generation + augmentation + training, %d epochs of 64000 rows); ssl-train: %s\n", t, p, (e - s) / n, n, sum
		}'
	done
done
status=0
for prec in $PRECISION; do
	if cmp -s "$tmp/net-$prec-1.arrows" "$tmp/net-$prec-2.arrows"; then
		echo "pipeline: --precision $prec: --threads 1 and 2 give byte-identical networks"
	else
		echo "pipeline: --precision $prec: --threads 1 and 2 differ" >&2
		status=1
	fi
done
exit $status
