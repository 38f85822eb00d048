#!/bin/bash
# Issue 9 item 2, CVE-2019-5736 class: a container process with
# CAP_SYS_PTRACE opens /proc/<init or monitor>/exe for writing, or keeps it
# open (exec 5</proc/PID/exe) and writes through /proc/self/fd/5 once the
# monitor has exited. The monitor and every init run from a read-only
# clone of the binary: every write fails and the host binary is unchanged.
# Run with and without a PID namespace, and through nestd's zygote. The
# binaries are copies in the test's directory: a baseline that fails this
# test damages only them.
source "$(dirname "$0")/lib.sh"

LIB="$T/libexec"
mkdir -p "$LIB"
cp "$NEST_LIBEXEC/nest-monitor" "$NEST_LIBEXEC/nest-init" "$LIB/"
export NEST_LIBEXEC="$LIB"
before="$(sha256sum "$LIB/nest-monitor" "$LIB/nest-init")"

attack='
	init=$PPID
	mon=$(awk "/^PPid:/ {print \$2}" /proc/$init/status)
	for p in $init $mon; do
		[ "$p" -gt 0 ] 2>/dev/null || continue
		{ echo x >> /proc/$p/exe; } 2>/dev/null && echo "WROTE /proc/$p/exe" >> /tmp/result
		{ exec 5</proc/$p/exe && { echo x >> /proc/self/fd/5; } 2>/dev/null && echo "WROTE fd of $p" >> /tmp/result; } 2>/dev/null
		exec 5<&-
	done
	# after the monitor has exited: an fd kept since
	( exec 5</proc/$mon/exe 6>>/tmp/result
	  i=0; while [ -e /proc/$mon/exe ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	  { echo x >> /proc/self/fd/5; } 2>/dev/null && echo "WROTE kept fd after exit" >&6
	  echo done >&6 ) </dev/null >/dev/null 2>&1 &
	echo started >> /tmp/result
'

run_attack() {
	local name="$1" pidns="$2" how="$3" b id="$NS_TAG-$1"
	b="$(bundle "$name" sh -c "$attack")"
	jqset "$b" '.linux.cgroupsPath = $c | .process.capabilities.bounding += ["CAP_SYS_PTRACE"] |
		.process.capabilities.effective += ["CAP_SYS_PTRACE"] | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]' \
		--arg c "/$id"
	[ "$pidns" = no ] && jqset "$b" 'del(.linux.namespaces[] | select(.type == "pid"))'
	if [ "$how" = nestd ]; then
		nestctl run --rm --name "$id" "$b" >/dev/null 2>&1
	else
		nest run --bundle "$b" "$id" >/dev/null 2>&1
	fi
	# the kept-fd writer finishes once the monitor is gone
	local i=0
	while ! grep -q done "$b/rootfs/tmp/result" 2>/dev/null && [ $i -lt 120 ]; do sleep 0.05; i=$((i + 1)); done
	nest delete -f "$id" >/dev/null 2>&1
	local wrote
	wrote="$(grep WROTE "$b/rootfs/tmp/result" 2>/dev/null)"
	check "CVE-2019-5736 ($name): the attack ran" grep -q started "$b/rootfs/tmp/result"
	check "CVE-2019-5736 ($name): no write to the monitor or init binary succeeded${wrote:+: $wrote}" test -z "$wrote"
	check "CVE-2019-5736 ($name): the host binaries are unchanged" test "$(sha256sum "$LIB/nest-monitor" "$LIB/nest-init")" = "$before"
}

run_attack nopidns no nest
run_attack pidns yes nest
if start_nestd; then
	run_attack zygote no nestd
	stop_nestd
fi
finish
