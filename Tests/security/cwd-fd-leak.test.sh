#!/bin/bash
# CVE-2024-21626 class: process.cwd = /proc/self/fd/N reached an fd the
# init held open to a host directory, and the process started with its cwd
# on the host. For N = 3..12: the create fails with an error naming the
# cwd, or the process runs with a cwd inside the container (never one that
# shows the host marker). The fds of the init in the created and running
# states are checked by created-init-fds.test.sh.
source "$(dirname "$0")/lib.sh"

MARK="HOSTMARK-$NS_TAG"
touch "$T/$MARK"
for n in $(seq 3 12); do
	id="$NS_TAG-c$n"
	B="$(bundle "c$n" sh -c 'ls -a . .. ../.. ../../.. 2>/dev/null; pwd')"
	jqset "$B" '.linux.cgroupsPath = $c | .process.cwd = $d' --arg c "/$id" --arg d "/proc/self/fd/$n"
	out="$(nest run --bundle "$B" "$id" 2>&1)"
	rc=$?
	nest delete -f "$id" >/dev/null 2>&1
	case "$out" in
	*HOSTMARK*) bad "CVE-2024-21626: cwd /proc/self/fd/$n reached the host" ;;
	*cwd*) ok "CVE-2024-21626: cwd /proc/self/fd/$n refused (rc $rc)" ;;
	*) if [ $rc -eq 0 ]; then ok "CVE-2024-21626: cwd /proc/self/fd/$n stays in the container"
	   else bad "CVE-2024-21626: cwd /proc/self/fd/$n: unclear error: $out"; fi ;;
	esac
done
finish
