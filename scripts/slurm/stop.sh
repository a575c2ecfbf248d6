#!/usr/bin/env bash
# Stop the slurmctld and slurmd that scripts/slurm/setup.sh started in STATE_DIR, by the
# process ids in their pid files (never by name: other Slurm daemons on the machine are
# left alone). munged is left running: it is shared by the whole machine and harmless.
#
#   scripts/slurm/stop.sh [STATE_DIR]      (default: $DUALSSL_SLURM_DIR or /tmp/dualssl-slurm)
set -uo pipefail

dir=${1:-${DUALSSL_SLURM_DIR:-/tmp/dualssl-slurm}}
for d in slurmd slurmctld; do
	pidfile=$dir/run/$d.pid
	[[ -s $pidfile ]] || continue
	pid=$(<"$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f "$pidfile"
done
exit 0
