# Sourced by monitor-tests.sh: preserve-fds, and exec plans run by
# nest-monitor -x against a running container.

# waits (at most 10 s) until COMMAND succeeds
until_ok() { for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done; return 1; }

# --- preserve-fds: fd 3 of the spawner is the process's, not the init's ---
fresh
{ base preserve | sed 's/^sync-fd\t3$/sync-fd\t4/'; t preserve-fds 1; sh_args 'echo preserved >&3; sleep 100'; } >"$S/plan"
timeout 60 "$MON" "$S/plan" 3>"$S/pfd" 4>"$S/sync" &
pmon=$!
until_ok grep -q preserved "$S/pfd" && ok "preserve-fds: the process writes to fd 3" || bad "preserve-fds: $(cat "$S/pfd" "$S/sync" "$S/log" 2>&1)"
ppid1="$(sed -n 's/^created //p' "$S/sync")"
holds3() { [ "$(readlink "/proc/$1/fd/3" 2>/dev/null)" = "$S/pfd" ]; }
if [ -n "$ppid1" ]; then
	until_ok eval '! holds3 "$ppid1"' && ok "preserve-fds: the container's PID 1 lets go of them" ||
		bad "preserve-fds: PID 1 holds fd 3"
	pmonitor="$(ps -o ppid= -p "$ppid1" | tr -d ' ')"
	if [ -n "$pmonitor" ] && ! holds3 "$pmonitor"; then ok "preserve-fds: the monitor lets go of them"; else
		bad "preserve-fds: the monitor ($pmonitor) holds fd 3"; fi
	kill -9 "$ppid1"
fi
wait "$pmon"

# --- exec plans: a container to join ---
fresh
{ base execd; t namespace cgroup -; t hostname exec-target; sh_args 'sleep 100'; } >"$S/plan"
timeout 120 "$MON" "$S/plan" 3>"$S/sync" &
xmon=$!
until_ok grep -q '^created' "$S/sync"
xinit="$(sed -n 's/^created //p' "$S/sync")"
# xplan START-TIME ARGS...: an exec plan for the container above
xplan() {
	local st="$1"
	shift
	t version 1
	t id mon-execd
	t exec "$xinit" "$st"
	t sync-fd 3
	t user 0 0 -
	t groups
	t env PATH=/bin
	for a in "$@"; do t arg "$a"; done
}
if [ -z "$xinit" ]; then
	bad "exec: the container was not created: $(cat "$S/sync")"
else
	# field 22 of stat: the 20th after the command's ")"
	start="$(sed 's/.*) //' "/proc/$xinit/stat" | cut -d' ' -f20)"
	{ xplan "$start" sh -c 'hostname; cat /proc/1/comm; readlink /proc/self/ns/pid; ls /proc/self/fd'; t cwd /tmp; } >"$S/xplan"
	"$MON" -x "$S/xplan" 3>"$S/xsync" >"$S/xout" 2>&1 5>"$S/leak"
	xrc=$?
	xpid="$(sed -n 's/^created //p' "$S/xsync")"
	[ "$xrc" = 0 ] && [ -n "$xpid" ] && ok "exec: created PID reported" || bad "exec: rc=$xrc $(cat "$S/xsync")"
	until_ok eval '! kill -0 "$xpid" 2>/dev/null'
	[ "$(sed -n 1p "$S/xout")" = exec-target ] && ok "exec: the container's hostname" || bad "exec: $(cat "$S/xout")"
	[ "$(sed -n 2p "$S/xout")" = nest-init ] && ok "exec: PID 1 of its /proc is the container's init" || bad "exec: $(cat "$S/xout")"
	[ "$(sed -n 3p "$S/xout")" = "$(readlink "/proc/$xinit/ns/pid")" ] && ok "exec: the container's pid namespace" || bad "exec: $(cat "$S/xout")"
	[ "$(sed -n '4,$p' "$S/xout" | tr '\n' ' ')" = "0 1 2 3 " ] && ok "exec: no fd of the spawner but 0, 1, 2" || bad "exec: fds $(cat "$S/xout")"

	# a bad cwd: the error record, after the pid of the killed process
	{ xplan "$start" true; t cwd /no-such-dir; } >"$S/xplan"
	"$MON" -x "$S/xplan" 3>"$S/xsync"
	xrc=$?
	[ "$xrc" = 1 ] && grep -q '^pid [0-9]*$' "$S/xsync" &&
		[ "$(grep '^error' "$S/xsync" | cut -f2,3,5)" = $'cwd\t/no-such-dir\tENOENT' ] &&
		ok "exec: a bad cwd is reported by name" || bad "exec: bad cwd: rc=$xrc $(cat "$S/xsync")"
	# a missing program
	xplan "$start" /no-such-program >"$S/xplan"
	"$MON" -x "$S/xplan" 3>"$S/xsync"
	grep '^error' "$S/xsync" | cut -f6 | grep -q '^exec /no-such-program: No such file or directory$' &&
		ok "exec: a missing program is reported by name" || bad "exec: missing program: $(cat "$S/xsync")"
	# an init that is not the recorded one (another start time)
	xplan "$((start + 1))" true >"$S/xplan"
	"$MON" -x "$S/xplan" 3>"$S/xsync"
	grep '^error' "$S/xsync" | cut -f6 | grep -q "^exec: the container's init $xinit is gone$" &&
		ok "exec: a reused pid is not joined" || bad "exec: start time: $(cat "$S/xsync")"
	# a create plan for -x, an exec plan for the create mode
	"$MON" -x "$S/plan" 3>"$S/xsync"
	grep -q 'nest-monitor -x runs an exec plan' "$S/xsync" && ok "exec: -x refuses a create plan" || bad "exec: -x: $(cat "$S/xsync")"
	xplan "$start" true >"$S/xplan"
	"$MON" "$S/xplan" 3>"$S/xsync"
	grep -q 'an exec plan is run by nest-monitor -x' "$S/xsync" && ok "exec: the create mode refuses an exec plan" || bad "exec: create mode: $(cat "$S/xsync")"
	kill -9 "$xinit"
fi
wait "$xmon"
