#!/usr/bin/env bash
# Install Debian's python3-torch for the PyTorch interoperability test
# (pkg/statedict's TestTorchReadsExport runs scripts/torch/load_statedict.py).
#
#   scripts/torch/install.sh
#
# Does nothing when a python3 (on the PATH or /usr/bin/python3) already
# imports torch. Where it cannot install (not root, no apt-get, no such
# package, the install fails) it prints "torch install: SKIP: <reason>" and
# exits 0: the Go test then skips with its own message. The package is large
# (about 1 GB with its dependencies), so the first run costs minutes; later
# runs cost one import check.
set -uo pipefail
say() { printf 'torch install: %s\n' "$*" >&2; }
for py in python3 /usr/bin/python3; do
	if command -v "$py" >/dev/null && "$py" -c 'import torch' 2>/dev/null; then
		say "torch already importable by $py"
		exit 0
	fi
done
if [[ $(id -u) != 0 ]]; then say "SKIP: not root, cannot apt-get install python3-torch"; exit 0; fi
if ! command -v apt-get >/dev/null; then say "SKIP: no apt-get (not Debian/Ubuntu)"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null 2>&1; then say "SKIP: apt-get update failed"; exit 0; fi
if ! apt-get install -y -qq --no-install-recommends python3-torch >/dev/null 2>&1; then
	say "SKIP: apt-get install python3-torch failed (no such package in this release?)"
	exit 0
fi
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	say "installed python3-torch"
else
	say "SKIP: python3-torch installed but /usr/bin/python3 cannot import torch"
fi
