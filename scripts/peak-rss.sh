#!/usr/bin/env bash
# Peak resident memory (max RSS, /usr/bin/time) of each stage of
#   hltm-gen | augment | ssl-train   (ssl-train streaming: --epochs 0)
# and of hltm-gen alone, for growing sample counts. Flat memory means the
# figures do not grow with N.
#
#   scripts/peak-rss.sh [N ...]        default: 1000000 10000000
#   BIN=bin DEPTH=5 HID=10 scripts/peak-rss.sh 1000000
#   GEN_ONLY=1 scripts/peak-rss.sh 100000000   (hltm-gen alone)
set -euo pipefail
BIN=${BIN:-bin}
DEPTH=${DEPTH:-5}
HID=${HID:-10}
TIME=${TIME:-/usr/bin/time}
[ -x "$TIME" ] || { echo "peak-rss: needs GNU time at $TIME (apt-get install time)" >&2; exit 1; }
[ $# -gt 0 ] || set -- 1000000 10000000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-11s %-10s %12s %10s\n' N stage max_rss_MiB seconds
for n in "$@"; do
	"$TIME" -f '%M %e' -o "$tmp/gen" "$BIN/hltm-gen" --depth "$DEPTH" -n "$n" --seed 1 -q >/dev/null
	read -r kb s <"$tmp/gen"
	printf '%-11s %-10s %12.1f %10s\n' "$n" hltm-gen "$(echo "$kb/1024" | bc -l)" "$s"
	[ -z "${GEN_ONLY:-}" ] || continue
	"$TIME" -f '%M %e' -o "$tmp/g" "$BIN/hltm-gen" --depth "$DEPTH" -n "$n" --seed 1 -q |
		"$TIME" -f '%M %e' -o "$tmp/a" "$BIN/augment" --seed 2 -q |
		"$TIME" -f '%M %e' -o "$tmp/t" "$BIN/ssl-train" --hid "$HID" --seed 3 -q >"$tmp/net.arrows"
	for st in g:hltm-gen a:augment t:ssl-train; do
		read -r kb s <"$tmp/${st%%:*}"
		printf '%-11s %-10s %12.1f %10s\n' "$n" "|${st#*:}" "$(echo "$kb/1024" | bc -l)" "$s"
	done
done
