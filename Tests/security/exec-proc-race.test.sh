#!/bin/bash
# Issue 11 item 2: a process that `nest exec` starts is a clone of the
# monitor, made on the host, until it execs its program. A process of the
# container (its PID namespace; with CAP_SYS_PTRACE in later rounds)
# scans /proc as fast as it can while `nest exec` runs again and again, and
# opens root, cwd, exe and every fd of each process it finds still in its
# setup (execprobe.c, "watch"). `nest exec` is run with its stdout on a
# host file and fds 5 and 7 open on a host directory and a host file.
# Without CAP_SYS_PTRACE nothing of such a process opens (it is not
# dumpable), nor with it in a container with a user namespace of its own;
# with it in the host's user namespace, nothing opened leads out of the
# container: root and cwd are the container's, the exe is a read-only
# image, no fd from 3 up is a host file or directory, and the monitor's
# report to `nest exec` takes no forged line (it did through a pipe: `nest
# exec` then waited for pid 1). Every exec succeeds.
source "$(dirname "$0")/lib.sh"

RUNS="${EXEC_RACE_RUNS:-300}"
gcc -O2 -static -o "$T/execprobe" "$(dirname "$0")/execprobe.c" || { bad "build execprobe"; finish; }
MARK="HOSTMARK-$NS_TAG"
mkdir "$T/hostdir"
touch "$T/hostdir/$MARK"
echo secret >"$T/hostfile"

attack() {
	local caps="$1" id="$NS_TAG-$1" b i failed=0 last=""
	b="$(bundle "w$caps" /execprobe watch /tmp)"
	cp "$T/execprobe" "$b/rootfs/execprobe"
	jqset "$b" '.root.readonly = false | .linux.cgroupsPath = $c' --arg c "/$id"
	[ "$caps" != default ] && jqset "$b" '.process.capabilities.bounding += ["CAP_SYS_PTRACE"] |
		.process.capabilities.effective += ["CAP_SYS_PTRACE"] | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
	[ "$caps" = userns-ptrace ] && jqset "$b" '.linux.namespaces += [{type: "user"}] |
		.linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	nest run -d --bundle "$b" "$id" </dev/null >/dev/null 2>&1 || { bad "exec /proc race ($caps): the watcher did not start"; return; }
	for i in $(seq "$RUNS"); do
		if ! nest exec "$id" true <"$T/hostfile" >"$T/exec-out" 2>&1 5<"$T/hostdir" 7<"$T/hostfile"; then
			failed=$((failed + 1))
			last="$(cat "$T/exec-out")"
		fi
	done
	touch "$b/rootfs/tmp/stop"
	i=0
	while [ ! -s "$b/rootfs/tmp/summary" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	nest delete -f "$id" >/dev/null 2>&1
	echo "info ($caps caps): $RUNS execs; $(tr '\n' ' ' <"$b/rootfs/tmp/summary" 2>/dev/null)"
	sed 's/^/info ('"$caps"' caps): opened /' "$b/rootfs/tmp/opened" 2>/dev/null
	local n
	n="$(awk '$1 == "setup_pids" {print $2}' "$b/rootfs/tmp/summary" 2>/dev/null)"
	check "exec /proc race ($caps caps): the watcher caught processes in their setup (${n:-none})" \
		test "${n:-0}" -ge "${EXEC_RACE_MIN_CAUGHT:-10}"
	check "exec /proc race ($caps caps): every exec succeeded ($failed failed${last:+: $last})" test "$failed" = 0
	if [ "$caps" != ptrace ]; then
		n="$(awk '$1 == "opened" {print $2}' "$b/rootfs/tmp/summary" 2>/dev/null)"
		check "exec /proc race ($caps caps): nothing of a process in its setup opens ($n opened)" test "$n" = 0
	fi
	n="$(awk '$1 == "pipes_written" {print $2}' "$b/rootfs/tmp/summary" 2>/dev/null)"
	check "exec /proc race ($caps caps): no report to \`nest exec\` was forged (${n:-?} pipes written into)" test "$n" = 0
	check "exec /proc race ($caps caps): nothing opened leads out of the container${b:+: $(cat "$b/rootfs/tmp/leaks" 2>/dev/null | sort | uniq -c | tr '\n' ';')}" \
		test ! -s "$b/rootfs/tmp/leaks"
}

attack default
attack ptrace
attack userns-ptrace
finish
