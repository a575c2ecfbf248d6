# Shared by the benchmark scripts (source it; not run on its own): the
# reference configuration's pipe and the checks every script makes.
#
#   need_tools SCRIPT TOOL...   exit 1 unless every TOOL is executable in $BIN
#   bench_tmp                   sets $tmp to a new directory removed at exit
#   ref_gen ROWS THREADS        hltm-gen: depth 5, binary, delta-lower 0.8, seed 1
#   ref_augment THREADS         augment: keep the root, one explicit negative, seed 2
#   ref_train THREADS PREC ARGS...
#                               ssl-train: tree, hid 10, nce-ref, tau 0.1, lr 0.1,
#                               batch 128, epochs of $ROWS rows, seed 3, --precision
#                               PREC (none when PREC is "default"); ARGS follow
#
# Tools come from $BIN (default bin/). PRECISION lists the ssl-train
# precisions the scripts run in turn ("float64 float32" runs both in the
# same run); unset, ssl-train runs without the flag (its default, float64).
BIN=${BIN:-bin}
ROWS=${ROWS:-64000}
PRECISION=${PRECISION:-default}

need_tools() {
	local script=$1 t
	shift
	for t in "$@"; do
		if [[ ! -x $BIN/$t ]]; then
			echo "$script: $BIN/$t is missing: run make build first" >&2
			exit 1
		fi
	done
}

bench_tmp() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
}

ref_gen() {
	"$BIN/hltm-gen" --depth 5 --children 2 --delta-lower 0.8 -n "$1" --seed 1 -q --threads "$2"
}

ref_augment() {
	"$BIN/augment" --keep root --negatives 1 --seed 2 -q --threads "$1"
}

ref_train() {
	local th=$1 prec=$2
	shift 2
	[[ $prec == default ]] && prec=
	"$BIN/ssl-train" --arch tree --hid 10 --loss nce-ref --temp 0.1 --lr 0.1 --batch 128 \
		--epoch-rows "$ROWS" --seed 3 --threads "$th" ${prec:+--precision "$prec"} "$@"
}
