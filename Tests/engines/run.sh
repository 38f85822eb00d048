#!/bin/bash
# The engine tests: podman (as root and rootless), containerd (ctr) and
# Docker driving nest as their OCI runtime, each assertion also made with
# crun (lib.sh has the details).
# Installs the engines first (setup.sh) when root; each engine runs on state
# of its own and leaves nothing behind. Exits non-zero when a nest line
# fails. Needs root; skips otherwise.
#   BINDIR=.build/debug Tests/engines/run.sh [podman|podman-rootless|containerd|docker ...]
# Environment: ENGINE_TIMEOUT (s per engine command, default 60),
# ENGINE_RUNTIMES (default "crun nest"), ENGINE_TRACE=1 (each command and
# its time), ENGINE_KEEP=1 (keep the engines' logs and the runtimes' argv).
set -u
cd "$(dirname "$0")/../.."
export BINDIR="${BINDIR:-.build/debug}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: engines: needs root"
	exit 0
fi
Tests/engines/setup.sh || { echo "FAIL: engines: setup failed"; exit 1; }
engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(podman podman-rootless containerd docker)
passed=() failed=()
total=$SECONDS
for e in "${engines[@]}"; do
	[ -e "Tests/engines/$e.sh" ] || { echo "engines: no such engine test: $e"; failed+=("$e"); continue; }
	echo "== engines: $e"
	start=$SECONDS
	if timeout 900 bash "Tests/engines/$e.sh"; then passed+=("$e"); else failed+=("$e"); fi
	echo "== engines: $e took $((SECONDS - start)) s"
done
echo "== engines took $((SECONDS - total)) s"
echo "engines: ${#passed[@]} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ "${#failed[@]}" = 0 ]
