#!/bin/bash
# Issue 11 item 2: `nest exec` joins the namespaces of the pid recorded as
# the container's init. The init exits and a host process gets its pid
# (made so through ns_last_pid): `nest exec` must refuse, and the command
# (which makes a directory at a host path) must never run in the host's
# namespaces. Tried through `nest exec`, through exec plans handed to
# nest-monitor -x by hand (the recorded start time, so the monitor's own
# check is what stands; the host process's start time, so the last check,
# a mount namespace of the container's own, is what stands), and as a race:
# execs while the init is killed, again and again.
source "$(dirname "$0")/lib.sh"

RUNS="${EXEC_RACE_RUNS:-100}"
gcc -O2 -static -o "$T/execprobe" "$(dirname "$0")/execprobe.c" || { bad "build execprobe"; finish; }
ID="$NS_TAG-r"
B="$(bundle r sleep 1000)"
jqset "$B" '.root.readonly = false | .linux.cgroupsPath = $c' --arg c "/$ID"
# The init is handed to the caller's subreaper (here one of the test's),
# which reaps it: its pid is free, and the container's record stays.
"$T/execprobe" reap "$BINDIR/nest" --root "$ROOT" run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 &
REAPER=$!
i=0
while [ "$(nest state "$ID" 2>/dev/null | jq -r .status)" != running ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
INIT="$(nest state "$ID" | jq -r .pid)"
START="$(sed 's/.*) //' "/proc/$INIT/stat" | cut -d' ' -f20)"
check "init reused: the container runs (init $INIT)" test -n "$INIT" -a "$INIT" != 0

nest kill "$ID" KILL
wait "$REAPER"
i=0
while [ -e "/proc/$INIT" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
HOST="$("$T/execprobe" takepid "$INIT" "$T/execprobe" hold)"
check "init reused: a host process took pid $INIT ($HOST)" test "$HOST" = "$INIT"
if [ "$HOST" = "$INIT" ]; then
	HOSTSTART="$(sed 's/.*) //' "/proc/$HOST/stat" | cut -d' ' -f20)"
	echo "info: init $INIT started at $START; the host process with its pid at $HOSTSTART"

	check "init reused: the container is stopped ($(nest state "$ID" 2>&1 | jq -c '[.status, .pid]'))" \
		test "$(nest state "$ID" 2>/dev/null | jq -r .status)" = stopped
	out="$(nest exec "$ID" mkdir "$T/pwned-exec" 2>&1)"
	rc=$?
	check "init reused: nest exec refuses (rc $rc: $out)" test $rc != 0 -a -n "$(echo "$out" | grep stopped)"
	check "init reused: the command did not run on the host" test ! -e "$T/pwned-exec"

	# exec plans by hand: the monitor's own checks
	xplan() {
		printf '%s\t%s\n' version 1 id "$ID" sync-fd 3 env PATH=/bin
		printf 'user\t0\t0\t-\ngroups\nexec\t%s\t%s\n' "$INIT" "$1"
		printf 'arg\t%s\n' mkdir "$T/$2"
	}
	xplan "$START" pwned-start >"$T/xplan"
	"$NEST_LIBEXEC/nest-monitor" -x "$T/xplan" 3>"$T/xsync" >/dev/null 2>&1
	check "init reused: the monitor refuses the recorded start time ($(cut -f6 "$T/xsync"))" \
		grep -q "init $INIT is gone" "$T/xsync"
	check "init reused: ... and the command did not run on the host" test ! -e "$T/pwned-start"
	xplan "$HOSTSTART" pwned-host >"$T/xplan"
	"$NEST_LIBEXEC/nest-monitor" -x "$T/xplan" 3>"$T/xsync" >/dev/null 2>&1
	check "init reused: the monitor refuses a process in the host's mount namespace ($(cut -f6 "$T/xsync"))" \
		grep -q "shares the host's mount namespace" "$T/xsync"
	check "init reused: ... and the command did not run on the host" test ! -e "$T/pwned-host"
	kill -9 "$HOST"
fi
nest delete -f "$ID" >/dev/null 2>&1

# The race: an exec while the init dies. Each exec runs in the container
# (the directory is made in its rootfs) or fails; never on the host.
ran=0 refused=0
for i in $(seq "$RUNS"); do
	id="$ID$i"
	jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$id"
	nest run -d --bundle "$B" "$id" </dev/null >/dev/null 2>&1
	# killed at a random instant of the exec's (about 0-200 ms)
	{ sleep "$(printf '0.%03d' $((RANDOM % 200)))"; nest kill "$id" KILL 2>/dev/null; } &
	if nest exec "$id" mkdir -p "$T/pwned-race" >/dev/null 2>"$T/race.err"; then
		ran=$((ran + 1))
	else
		refused=$((refused + 1))
		sed 's/nsec[0-9]*-r[0-9]*/ID/g; s/init [0-9]*/init PID/g' "$T/race.err" >>"$T/race.errs"
	fi
	wait
	nest delete -f "$id" >/dev/null 2>&1
	[ -e "$T/pwned-race" ] && break
done
echo "info: exec racing the init's death: $RUNS tries, $ran ran in the container, $refused refused:"
sort "$T/race.errs" 2>/dev/null | uniq -c | sed 's/^/info:   /'
check "init reused (race): no exec ran on the host" test ! -e "$T/pwned-race"
finish
