#!/bin/bash
# A container B that joins container A's PID namespace (a pod's shared PID
# namespace) is visible to A from its clone on, while the monitor's copy
# still holds the channel on which the monitor reports `created PID` to
# `nest create` (and to nestd). A, with CAP_SYS_PTRACE, scans /proc as fast
# as it can and opens every fd of each process in its setup (execprobe.c,
# "watch"): a pipe from 3 up that opens for writing gets "created 1", which
# was taken for B's init (state said pid 1, and `delete -f` killed it). B
# is created again and again, by `nest` and by nestd (whose zygote forks
# the monitors): the pid each reports is B's init, in A's PID namespace.
# The channel is a socket, which does not open through /proc.
# What else A reached during B's setup is printed, not asserted: before
# pivot_root, B's init has the host's root and cwd, and with CAP_SYS_PTRACE
# in the host's user namespace A passes the dumpable check (as with runc
# and crun; docs/security.md, "Limits").
source "$(dirname "$0")/lib.sh"

RUNS="${EXEC_RACE_RUNS:-100}"
gcc -O2 -static -o "$T/execprobe" "$(dirname "$0")/execprobe.c" || { bad "build execprobe"; finish; }

A="$(bundle a /execprobe watch /tmp)"
cp "$T/execprobe" "$A/rootfs/execprobe"
jqset "$A" '.root.readonly = false | .linux.cgroupsPath = $c | .process.capabilities.bounding += ["CAP_SYS_PTRACE"] |
	.process.capabilities.effective += ["CAP_SYS_PTRACE"] | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]' \
	--arg c "/$NS_TAG-a"
nest run -d --bundle "$A" "$NS_TAG-a" </dev/null >/dev/null 2>&1 || { bad "the watcher did not start"; finish; }
APID="$(nest state "$NS_TAG-a" | jq -r .pid)"
PIDNS="$(readlink "/proc/$APID/ns/pid")"
B="$(bundle b sleep 1000)"
jqset "$B" '(.linux.namespaces[] | select(.type == "pid")) += {path: $p}' --arg p "/proc/$APID/ns/pid"

# the pid reported for B names B's init: a process in A's PID namespace
# that runs nest-init (its monitor's image until the exec of its program)
is_b_init() {
	local pid="$1"
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != null ] || return 1
	[ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" = "$PIDNS" ] && [ "$pid" != "$APID" ]
}

# A container whose recorded pid is not its own is not deleted by Nest
# (that would kill the process named): its cgroup's processes are killed
# and its state removed by hand.
discard() {
	local id="$1" c p
	for c in $(find /sys/fs/cgroup -depth -type d -name "$id" 2>/dev/null); do
		for p in $(cat "$c/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	rm -rf "${ROOT:?}/$id"
}

wrong=0 failed=0 lastfail="" lastwrong=""
for i in $(seq "$RUNS"); do
	id="$NS_TAG-b$i"
	jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$id"
	# (B's process keeps create's stdio: a file, not a pipe read to EOF)
	if nest create --bundle "$B" "$id" </dev/null >"$T/create.out" 2>&1; then
		pid="$(nest state "$id" 2>/dev/null | jq -r .pid)"
		if ! is_b_init "$pid"; then
			wrong=$((wrong + 1))
			lastwrong="nest state says pid $pid"
			discard "$id"
			continue
		fi
	else
		failed=$((failed + 1))
		lastfail="$(cat "$T/create.out")"
	fi
	nest delete -f "$id" >/dev/null 2>&1
done
check "shared PID namespace (nest): every create succeeded ($failed failed${lastfail:+: $lastfail})" test "$failed" = 0
check "shared PID namespace (nest): every pid reported is B's init ($wrong wrong${lastwrong:+: $lastwrong})" test "$wrong" = 0

start_nestd
jqset "$B" 'del(.linux.cgroupsPath)'
wrong=0 failed=0 lastfail="" lastwrong=""
for i in $(seq "$RUNS"); do
	out="$(nestctl run -d --name "$NS_TAG-d$i" "$B" 2>&1)"
	id="$(printf '%s\n' "$out" | tail -1)"
	pid="$(nestctl inspect "$id" 2>/dev/null | jq -r '.[0].pid // empty')"
	if [ -z "$pid" ]; then
		failed=$((failed + 1))
		lastfail="$out"
		continue
	fi
	TEST_IDS="$TEST_IDS $id"
	if ! is_b_init "$pid"; then
		wrong=$((wrong + 1))
		lastwrong="nestctl inspect says pid $pid"
		for c in $(find /sys/fs/cgroup -depth -type d -name "$id" 2>/dev/null); do
			for p in $(cat "$c/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		done
	fi
	nestctl rm -f "$id" >/dev/null 2>&1
done
check "shared PID namespace (nestd): every run succeeded ($failed failed${lastfail:+: $lastfail})" test "$failed" = 0
check "shared PID namespace (nestd): every pid reported is B's init ($wrong wrong${lastwrong:+: $lastwrong})" test "$wrong" = 0
stop_nestd

touch "$A/rootfs/tmp/stop"
i=0
while [ ! -s "$A/rootfs/tmp/summary" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
nest delete -f "$NS_TAG-a" >/dev/null 2>&1
echo "info: $RUNS creates by nest and $RUNS runs by nestd; $(tr '\n' ' ' <"$A/rootfs/tmp/summary" 2>/dev/null)"
# what A opened: how many objects of each verdict, and a few that lead out
sed 's/^[0-9]* x //' "$A/rootfs/tmp/opened" 2>/dev/null | awk -F': ' '{n[$NF]++} END {for (v in n) print "info: opened during setup: " n[v] " object(s): " v}'
grep -h 'OUTSIDE\|LEAKED' "$A/rootfs/tmp/opened" 2>/dev/null | sed 's/^[0-9]* x //' | sort -u | head -12 | sed 's/^/info:   e.g. /'
n="$(awk '$1 == "setup_pids" {print $2}' "$A/rootfs/tmp/summary" 2>/dev/null)"
check "shared PID namespace: the watcher caught processes in their setup (${n:-none})" \
	test "${n:-0}" -ge "${EXEC_RACE_MIN_CAUGHT:-10}"
finish
