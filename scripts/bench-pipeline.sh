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
#    shared cores weighs on both sides alike. The same again stage by
#    stage: hltm-gen into a file, augment from it into another, ssl-train
#    streaming those views from stdin, one process at a time (what each
#    stage's work costs without the others beside it). The median and
#    range over the runs are printed. Target < 0.25.
#
# Both parts run for each ssl-train precision in $PRECISION (see lib.sh;
# PRECISION="float64 float32" measures both in the same run).
#
# Usage: scripts/bench-pipeline.sh [EPOCHS [REPEAT]]   (default 20 epochs, 3 runs; tools
# from $BIN, default bin/). Fewer epochs weigh the tools' start-up more.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
EPOCHS=${1:-20}
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
# loop LOG: the CPU-seconds of ssl-train's training loop and the seconds it
# spent waiting for or reading its input, from its summary line ("…;
# 2.05 CPU-s; 0.061 s waiting for or reading the input").
loop() {
	local l
	l=$(sed -n 's/.*; \([0-9.e+-]*\) CPU-s; \([0-9.e+-]*\) s waiting for or reading the input$/\1 \2/p' "$1")
	if [[ -z $l ]]; then
		echo "bench-pipeline: no CPU summary from ssl-train:" >&2
		cat "$1" >&2
		return 1
	fi
	echo "$l"
}
TIMEFORMAT='%3U %3S'
for prec in $PRECISION; do
	: >"$tmp/runs"
	for r in $(seq "$REPEAT"); do
		{ time ref_gen "$n" 1 2>/dev/null; } 2>"$tmp/t.gen" |
			{ time ref_augment 1 2>/dev/null; } 2>"$tmp/t.aug" |
			{ time ref_train 1 "$prec" >/dev/null 2>"$tmp/train.log"; } 2>"$tmp/t.pipe"
		piped=$(loop "$tmp/train.log")
		{ time ref_gen "$n" 1 >"$tmp/samples.arrows" 2>/dev/null; } 2>"$tmp/t.gen1"
		{ time ref_augment 1 <"$tmp/samples.arrows" >"$tmp/views.arrows" 2>/dev/null; } 2>"$tmp/t.aug1"
		{ time ref_train 1 "$prec" <"$tmp/views.arrows" >/dev/null 2>"$tmp/train1.log"; } 2>"$tmp/t.train1"
		alone=$(loop "$tmp/train1.log")
		rm -f "$tmp/samples.arrows" "$tmp/views.arrows"
		echo "$(cpu "$tmp/t.gen") $(cpu "$tmp/t.aug") $(cpu "$tmp/t.pipe") $piped $(cpu "$tmp/t.gen1") $(cpu "$tmp/t.aug1") $(cpu "$tmp/t.train1") $alone" >>"$tmp/runs"
	done
	awk -v n="$EPOCHS" -v prec="$prec" '
		function med(a, k,   i, j, x) { for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } return a[int((k + 1) / 2)] }
		# record WHERE G A P L R: the figures of one run (CPU-s for EPOCHS epochs;
		# L, R: the training loop and its reading) into the arrays of WHERE.
		function record(w, g, a, p, l, r,   t, o) {
			t = (l - r) / n; o = p / n - t # ssl-train outside training: reading, start-up, writing
			G[w, NR] = g / n; A[w, NR] = a / n; O[w, NR] = o; T[w, NR] = t; Q[w, NR] = (g / n + a / n + o) / t
			printf "cost --threads 1, precision %s, run %d, %s: CPU-s/epoch hltm-gen %.4f + augment %.4f + ssl-train outside training %.4f (reading %.4f) = %.4f against training %.4f: ratio %.3f\n", prec, NR, w, g / n, a / n, o, r / n, g / n + a / n + o, t, Q[w, NR]
		}
		function col(w, X,   r) { for (r = 1; r <= NR; r++) Y[r] = X[w, r]; return med(Y, NR) }
		function report(w, what,   g, a, o, t, q, r, lo, hi) {
			g = col(w, G); a = col(w, A); o = col(w, O); t = col(w, T); q = col(w, Q)
			lo = Y[1]; hi = Y[NR] # Q, sorted by med
			printf "cost %s (medians of %d runs, precision %s): CPU-s/epoch hltm-gen %.4f + augment %.4f + ssl-train outside training %.4f = %.4f against training %.4f: (generation + augmentation + transport) / training = %.3f (runs %.3f … %.3f; target < 0.25)\n", what, NR, prec, g, a, o, g + a + o, t, q, lo, hi
		}
		{
			record("pipe", $1, $2, $3, $4, $5)
			record("alone", $6, $7, $8, $9, $10)
		}
		END {
			report("pipe", "in the pipe")
			report("alone", "stage by stage")
		}' "$tmp/runs"
done
exit $status
