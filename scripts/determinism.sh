#!/usr/bin/env bash
# Same seeds, same bytes: runs hltm-gen | augment | ssl-train (in float64,
# and in float32 as net32), then probe and covop, with --threads 1, 2 and 8, first one after another and then all at
# once (the load of `make -j`), and compares every output byte for byte.
#
#   scripts/determinism.sh            (BIN=bin N=20000 DEPTH=4 EPOCHS=3)
set -euo pipefail
BIN=${BIN:-bin}
N=${N:-20000}
DEPTH=${DEPTH:-4}
EPOCHS=${EPOCHS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # run DIR THREADS
	local d=$1 t=$2
	mkdir -p "$d"
	"$BIN/hltm-gen" --depth "$DEPTH" -n "$N" --seed 1 --threads "$t" -q >"$d/samples.arrows"
	"$BIN/augment" --seed 2 --negatives 2 --threads "$t" -q <"$d/samples.arrows" >"$d/pairs.arrows"
	"$BIN/ssl-train" --hid 6 --epochs "$EPOCHS" --seed 3 --threads "$t" -q <"$d/pairs.arrows" >"$d/net.arrows"
	"$BIN/ssl-train" --hid 6 --epochs "$EPOCHS" --seed 3 --threads "$t" --precision float32 -q <"$d/pairs.arrows" >"$d/net32.arrows"
	"$BIN/probe" --data "$d/samples.arrows" --threads "$t" -q <"$d/net.arrows" >"$d/probe.arrows"
	"$BIN/covop" --data "$d/pairs.arrows" --threads "$t" -q <"$d/net.arrows" >"$d/covop.arrows"
}

for t in 1 2 8; do run "$tmp/seq-$t" "$t"; done
for t in 1 2 8; do run "$tmp/par-$t" "$t" & done
wait

status=0
for f in samples pairs net net32 probe covop; do
	ref=$tmp/seq-1/$f.arrows
	for d in seq-2 seq-8 par-1 par-2 par-8; do
		if ! cmp -s "$ref" "$tmp/$d/$f.arrows"; then
			echo "determinism: $f.arrows differs between --threads 1 and $d" >&2
			status=1
		fi
	done
	printf '%-14s %9d bytes  %s\n' "$f.arrows" "$(stat -c %s "$ref")" "$(sha256sum <"$ref" | cut -c1-16)"
done
[ $status = 0 ] && echo "determinism: identical at --threads 1, 2, 8, sequential and concurrent"
exit $status
