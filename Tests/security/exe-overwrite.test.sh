#!/bin/bash
# Issue 9 item 2, CVE-2019-5736 class: every container's PID 1 is an image
# of nest-monitor, so /proc/PID/exe of an init or a monitor reached the
# host's binary. An attacker container B with CAP_SYS_PTRACE and no PID
# namespace opens /proc/<A's monitor>/exe and /proc/<A's init>/exe
# (exec 5</proc/PID/exe), waits until A is gone and nothing runs that
# binary any more (ETXTBSY was all that stood in the way), then writes
# through /proc/self/fd/5. The monitor and every init run from a read-only
# clone of the binary: the writes fail and the host binary is unchanged.
# A's binaries are copies in the test's directory (so that a baseline that
# fails this test damages only them); B runs from other copies. A is
# started by `nest` and, second, by nestd (whose zygote forks monitors).
source "$(dirname "$0")/lib.sh"

LIBA="$T/libexec-a" LIBB="$T/libexec-b"
mkdir -p "$LIBA" "$LIBB"
cp "$NEST_LIBEXEC/nest-monitor" "$NEST_LIBEXEC/nest-init" "$LIBA/"
cp "$NEST_LIBEXEC/nest-monitor" "$NEST_LIBEXEC/nest-init" "$LIBB/"
before="$(sha256sum "$LIBA/nest-monitor" "$LIBA/nest-init" | awk '{print $1}')"

attack='
	while [ ! -s /tmp/apid ]; do sleep 0.05; done
	read mon init < /tmp/apid
	exec 5</proc/$mon/exe 6</proc/$init/exe || { echo "open failed" > /tmp/state; exit 1; }
	for p in $mon $init; do
		{ echo x >> /proc/$p/exe; } 2>/dev/null && echo "WROTE /proc/$p/exe while running" >> /tmp/result
	done
	echo opened > /tmp/state
	while [ ! -e /tmp/go ]; do sleep 0.05; done
	{ echo x >> /proc/self/fd/5; } 2>>/tmp/result && echo "WROTE the monitor binary after it exited" >> /tmp/result
	{ echo x >> /proc/self/fd/6; } 2>>/tmp/result && echo "WROTE the init binary after it exited" >> /tmp/result
	echo done >> /tmp/result
	sleep 1000'

wait_file() { local i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

run_attack() {
	local how="$1" a b ida="$NS_TAG-a$1" idb="$NS_TAG-b$1" init mon
	a="$(bundle "a$how" sleep 1000)"
	jqset "$a" '.linux.cgroupsPath = $c' --arg c "/$ida"
	b="$(bundle "b$how" sh -c "$attack")"
	jqset "$b" '.root.readonly = false | .linux.cgroupsPath = $c | .process.capabilities.bounding += ["CAP_SYS_PTRACE"] |
		.process.capabilities.effective += ["CAP_SYS_PTRACE"] | .process.capabilities.permitted += ["CAP_SYS_PTRACE"] |
		del(.linux.namespaces[] | select(.type == "pid"))' --arg c "/$idb"
	if [ "$how" = nestd ]; then
		NEST_LIBEXEC="$LIBA" start_nestd || return
		ida="$(nestctl run -d --name "$ida" "$a" 2>&1 | tail -1)"
		init="$(nestctl inspect "$ida" 2>/dev/null | jq -r '.[0].pid // .[0].state.pid // empty')"
	else
		NEST_LIBEXEC="$LIBA" nest run -d --bundle "$a" "$ida" >/dev/null 2>&1
		init="$(nest state "$ida" | jq -r .pid)"
	fi
	mon="$(awk '/^PPid:/ {print $2}' "/proc/$init/status" 2>/dev/null)"
	# `nest run -d` hands the init to its caller (docs/architecture.md,
	# "Process model"): its monitor has left, the init is all there is
	# to attack (and the parent, a shell or the host's init, is not ours)
	case "$(tr '\0' ' ' <"/proc/$mon/cmdline" 2>/dev/null)" in nest-monitor*) ;; *) mon="$init" ;; esac
	check "CVE-2019-5736 ($how): A runs (init $init, monitor $mon)" test -n "$mon"
	NEST_LIBEXEC="$LIBB" nest run -d --bundle "$b" "$idb" >/dev/null 2>&1
	echo "$mon $init" > "$b/rootfs/tmp/apid"
	wait_file "$b/rootfs/tmp/state"
	check "CVE-2019-5736 ($how): B opened A's exe links" grep -q opened "$b/rootfs/tmp/state"
	# A goes away: nothing runs A's copy of the binaries any more
	if [ "$how" = nestd ]; then nestctl rm -f "$ida" >/dev/null 2>&1; stop_nestd
	else nest delete -f "$ida" >/dev/null 2>&1; fi
	local i=0
	while [ -e "/proc/$mon" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	touch "$b/rootfs/tmp/go"
	i=0
	while ! grep -q done "$b/rootfs/tmp/result" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	nest delete -f "$idb" >/dev/null 2>&1
	local wrote
	wrote="$(grep WROTE "$b/rootfs/tmp/result" 2>/dev/null)"
	check "CVE-2019-5736 ($how): B's writes ran" grep -q done "$b/rootfs/tmp/result"
	check "CVE-2019-5736 ($how): every write to the binaries failed${wrote:+: $wrote}" test -z "$wrote"
	check "CVE-2019-5736 ($how): the host binaries are unchanged" \
		test "$(sha256sum "$LIBA/nest-monitor" "$LIBA/nest-init" | awk '{print $1}')" = "$before"
	cp "$NEST_LIBEXEC/nest-monitor" "$NEST_LIBEXEC/nest-init" "$LIBA/"
}

run_attack nest
run_attack nestd
finish
