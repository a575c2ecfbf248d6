#!/usr/bin/env bash
# Install (if needed), configure and start a single-node Slurm cluster on localhost:
# Debian's munge, slurmctld and slurmd run as plain daemons (no systemd), with all
# state, logs and the configuration under one private directory, so the machine's own
# /etc/slurm is left alone.
#
#   scripts/slurm/setup.sh [STATE_DIR]      (default: $DUALSSL_SLURM_DIR or /tmp/dualssl-slurm)
#
# On success it prints the line `export SLURM_CONF=STATE_DIR/slurm.conf` on stdout (the
# Slurm client commands need it) and leaves the daemons running; scripts/slurm/stop.sh
# stops them. Exit status: 0 started, 77 Slurm cannot be had here (not root, no apt-get,
# install failed: the message says which), 1 it was installed but did not come up (the
# message names the log to read).
set -euo pipefail

dir=${1:-${DUALSSL_SLURM_DIR:-/tmp/dualssl-slurm}}
say() { printf 'slurm-setup: %s\n' "$*" >&2; }
skip() { say "SKIP: $*"; exit 77; }
fail() { say "FAIL: $*"; exit 1; }

have_slurm() {
	command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
		command -v sbatch >/dev/null && command -v munged >/dev/null
}
# Debian puts the daemons in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

if ! have_slurm; then
	[[ $(id -u) == 0 ]] || skip "slurmctld/slurmd/munge are not installed and installing them needs root"
	command -v apt-get >/dev/null || skip "slurmctld/slurmd/munge are not installed and there is no apt-get"
	say "installing slurmctld slurmd slurm-client munge with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	# An out-of-date package list is the usual reason for a failed install: refresh it first.
	apt-get update -qq >"${TMPDIR:-/tmp}/dualssl-slurm-apt.log" 2>&1 || true
	if ! apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge \
		>>"${TMPDIR:-/tmp}/dualssl-slurm-apt.log" 2>&1; then
		skip "apt-get install slurmctld slurmd slurm-client munge failed (see ${TMPDIR:-/tmp}/dualssl-slurm-apt.log)"
	fi
	have_slurm || skip "packages installed but slurmctld/slurmd/sbatch/munged are still not on PATH"
fi
[[ $(id -u) == 0 ]] || skip "starting munged, slurmctld and slurmd here needs root"

mkdir -p "$dir"/{state,spool,log,run}
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf
export SLURM_CONF=$conf

# Stop whatever an earlier setup in this directory left running.
"$(dirname "$0")/stop.sh" "$dir" >/dev/null 2>&1 || true

# --- munge -------------------------------------------------------------------------
# munged runs as the munge user with its key in /etc/munge (Debian's layout). Create
# the key when the package did not (it does not when installed without a postinst run).
if [[ ! -s /etc/munge/munge.key ]]; then
	if command -v mungekey >/dev/null; then
		mungekey --create --force --keyfile=/etc/munge/munge.key
	else
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
	fi
fi
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0755 /run/munge
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
	runuser -u munge -- munged --force 2>>"$dir/log/munged.log" ||
		fail "munged did not start (see $dir/log/munged.log and /var/log/munge/munged.log)"
	for _ in $(seq 50); do
		munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
		sleep 0.1
	done
	munge -n </dev/null | unmunge >/dev/null 2>&1 || fail "munge round trip fails (see /var/log/munge/munged.log)"
fi

# --- slurm.conf -----------------------------------------------------------------------
port=${DUALSSL_SLURM_PORT:-16817} # slurmctld; slurmd listens on port+1
for p in "$port" "$((port + 1))"; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		fail "port $p on localhost is taken (another Slurm? stop it, or set DUALSSL_SLURM_PORT to a free port)"
	fi
done
cpus=$(nproc)
# Slurm refuses a node that has less memory than RealMemory claims: claim half of it.
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
cat >"$conf" <<EOF
# Written by scripts/slurm/setup.sh: one node (this machine) called localhost.
ClusterName=dualssl
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: containers often lack a writable cgroup tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons ------------------------------------------------------------------------
slurmctld -f "$conf" -c -i 2>>"$dir/log/slurmctld.stderr" ||
	fail "slurmctld did not start (see $dir/log/slurmctld.log and $dir/log/slurmctld.stderr)"
slurmd -f "$conf" -N localhost 2>>"$dir/log/slurmd.stderr" ||
	fail "slurmd did not start (see $dir/log/slurmd.log and $dir/log/slurmd.stderr)"

# Wait for the node to come up idle (slurmd registers within a second or two).
state=
for _ in $(seq 60); do
	state=$(sinfo -h -N -n localhost -o '%T' 2>/dev/null || true)
	[[ $state == idle* ]] && break
	sleep 0.5
done
for d in slurmctld slurmd; do
	pid=$(cat "$dir/run/$d.pid" 2>/dev/null || true)
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || fail "$d is not running (see $dir/log/$d.log)"
done
[[ $state == idle* ]] || fail "node localhost is '${state:-not known}' instead of idle after 30 s (see $dir/log/slurmctld.log and $dir/log/slurmd.log)"
say "single-node Slurm up in $dir (node localhost, $cpus CPUs)"
echo "export SLURM_CONF=$conf"
