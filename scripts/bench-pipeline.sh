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
#    stage's CPU-seconds per epoch in the pipe (user + system, bash's
#    time), and, from ssl-train's own summary, the CPU of its training
#    loop and the time in it spent waiting for or reading its input
#    (decoding the Arrow stream and converting the views, timed around
#    every read by the wall clock: with --threads 1 the reads run on the
#    training goroutine between steps, and in this pipe ssl-train is the
#    slowest stage, so it hardly waits). Training is the loop less its
#    reading (if anything less than the training's own CPU: time waiting
#    or descheduled counts as reading); everything else the three processes
#    spent (generation, augmentation, the encoding, pipes and decoding of
#    transport, and each tool's start-up) is set against it:
#    (generation + augmentation + transport) / training, per run, all
#    from the same run, so that the stages' slowing each other down on two
#    shared cores weighs on both sides alike. The median and range over
#    the runs are printed. Target < 0.25.
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
for prec in $PRECISION; do
	: >"$tmp/runs"
	for r in $(seq "$REPEAT"); do
		{ time ref_gen "$n" 1 2>/dev/null; } 2>"$tmp/t.gen" |
			{ time ref_augment 1 2>/dev/null; } 2>"$tmp/t.aug" |
			{ time ref_train 1 "$prec" >/dev/null 2>"$tmp/train.log"; } 2>"$tmp/t.pipe"
		# "…; 2.05 CPU-s; 0.061 s waiting for or reading the input"
		loop=$(sed -n 's/.*; \([0-9.e+-]*\) CPU-s; \([0-9.e+-]*\) s waiting for or reading the input$/\1 \2/p' "$tmp/train.log")
		if [[ -z $loop ]]; then
			echo "bench-pipeline: no CPU summary from ssl-train:" >&2
			cat "$tmp/train.log" >&2
			exit 1
		fi
		echo "$(cpu "$tmp/t.gen") $(cpu "$tmp/t.aug") $(cpu "$tmp/t.pipe") $loop" >>"$tmp/runs"
	done
	awk -v n="$EPOCHS" -v prec="$prec" '
		function med(a, k,   i, j, x) { for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } return a[int((k + 1) / 2)] }
		{
			G[NR] = $1 / n; A[NR] = $2 / n; P[NR] = $3 / n; T[NR] = ($4 - $5) / n; R[NR] = $5 / n
			O[NR] = P[NR] - T[NR] # ssl-train outside training: reading, start-up, writing
			Q[NR] = (G[NR] + A[NR] + O[NR]) / T[NR]
			printf "cost --threads 1, precision %s, run %d: CPU-s/epoch hltm-gen %.4f + augment %.4f + ssl-train outside training %.4f (reading %.4f) = %.4f against training %.4f: ratio %.3f\n", prec, NR, G[NR], A[NR], O[NR], R[NR], G[NR] + A[NR] + O[NR], T[NR], Q[NR]
		}
		END {
			g = med(G, NR); a = med(A, NR); o = med(O, NR); t = med(T, NR); q = med(Q, NR)
			printf "cost (medians of %d runs, precision %s): CPU-s/epoch hltm-gen %.4f + augment %.4f + ssl-train outside training %.4f = %.4f against training %.4f: (generation + augmentation + transport) / training = %.3f (runs %.3f … %.3f; target < 0.25)\n", NR, prec, g, a, o, g + a + o, t, q, Q[1], Q[NR]
		}' "$tmp/runs"
done
exit $status
