#!/bin/bash
# Issue 9 item 4, CVE-2025-52565 class: device nodes are made before
# pivot_root, while the host's root is reachable; a container sharing the
# rootfs's /dev (not a tmpfs here) swaps a node for a symlink to a host
# file between its mknod and its chmod/chown, and the host file's mode and
# owner were changed. Nodes are now changed only through an fd checked to
# be the node: the host file is unchanged, and each create either makes a
# real node or fails with an error naming the device.
source "$(dirname "$0")/lib.sh"

gcc -O2 -o "$T/swapper" "$(dirname "$0")/swapper.c" || { bad "build swapper"; finish; }
HOSTFILE="$T/host-secret"
echo secret > "$HOSTFILE"
chmod 0600 "$HOSTFILE"
chown 0:0 "$HOSTFILE"
B="$(bundle shared true)"
jqset "$B" 'del(.mounts[] | select(.destination == "/dev"))'

# The swapper, woken by inotify at a real-time priority on the CPU the
# create runs on, replaces the node right after the syscall that made it.
taskset -c 0 "$T/swapper" notify "$HOSTFILE" "$B/rootfs/dev/zero" >"$T/swaps" &
SW=$!
made=0 refused=0 unclear=""
for i in $(seq 1 ${ITER:-40}); do
	id="$NS_TAG-d$i"
	jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$id"
	# the created init keeps stdout: it is not a pipe that $(...) waits on
	if taskset -c 0 "$BINDIR/nest" --root "$ROOT" create --bundle "$B" "$id" >/dev/null 2>"$T/err"; then
		made=$((made + 1))
	else
		refused=$((refused + 1))
		case "$(cat "$T/err")" in *device*) ;; *) unclear="$(cat "$T/err")" ;; esac
	fi
	nest delete -f "$id" >/dev/null 2>&1
	[ "$(stat -c %a:%u:%g "$HOSTFILE")" = 600:0:0 ] || break
done
kill -TERM $SW; wait $SW
echo "info: $made created, $refused refused, $(cat "$T/swaps") swaps"
check "CVE-2025-52565: the swapper replaced nodes" test "$(cat "$T/swaps")" -gt 0
check "CVE-2025-52565: the host file's mode and owner are unchanged ($(stat -c %a:%u:%g "$HOSTFILE"))" \
	test "$(stat -c %a:%u:%g "$HOSTFILE")" = 600:0:0
check "CVE-2025-52565: a refused create names the device${unclear:+: $unclear}" test -z "$unclear"
finish
