# Sourced by monitor-tests-cases3.sh: the handed-off init (plan record
# `handoff`, docs/architecture.md "Process model"). Under a child subreaper
# (Tests/c/subreaper.py stands in for an engine's shim), the init is the
# spawner's child, the subreaper reaps it with the process's exit status,
# and the monitor leaves once the container is started.

fresh
mkfifo -m 0622 "$S/exec.fifo"
{
	STDIO_INHERIT=1 base handoff
	t exec-fifo "$S/exec.fifo"
	t handoff
	sh_args 'echo handed; exit 7'
} >"$S/plan"
# the spawner (as `nest create`): starts the monitor, notes the init's
# parent, exits; the subreaper inherits what is left; then the container is
# started
timeout 30 python3 "$(dirname "$0")/subreaper.py" "$S/reaped" bash -c '
	"$0" "$1" 3>"$2" </dev/null >"$4" 2>&1 &
	for _ in $(seq 200); do grep -q "^created" "$2" 2>/dev/null && break; sleep 0.05; done
	cpid="$(sed -n "s/^created //p" "$2")"
	echo "spawner $$ init $cpid ppid $(ps -o ppid= -p "$cpid" | tr -d " ") monitor $!" >"$3"' \
	"$MON" "$S/plan" "$S/sync" "$S/who" "$S/log" &
reaper=$!
for _ in $(seq 200); do [ -s "$S/who" ] && break; sleep 0.05; done
read -r _ spawner _ cpid _ ppid _ mpid <"$S/who"
for _ in $(seq 200); do kill -0 "$spawner" 2>/dev/null || break; sleep 0.05; done
timeout 5 cat "$S/exec.fifo" >/dev/null
wait "$reaper"
[ -n "$cpid" ] && [ "$ppid" = "$spawner" ] && ok "handoff: the init is the spawner's child" ||
	bad "handoff: $(cat "$S/who" "$S/sync" 2>&1)"
grep -qx "$cpid 7" "$S/reaped" && ok "handoff: the subreaper reaps the init with the exit code" ||
	bad "handoff: reaped $(tr '\n' ' ' <"$S/reaped") (init $cpid)"
grep -qx "$mpid 0" "$S/reaped" && ok "handoff: the monitor exits 0 after start" ||
	bad "handoff: monitor $mpid: $(tr '\n' ' ' <"$S/reaped")"
expect_log "handoff: ran, its output where the spawner's stdout was" '^handed$'
[ ! -e "$S/status" ] && ok "handoff: no status file (the exit code is the reaper's)" || bad "handoff: status $(cat "$S/status")"

# killed before start: the subreaper sees it; the monitor leaves at once
fresh
mkfifo -m 0622 "$S/exec.fifo"
{ STDIO_INHERIT=1 base handoff-kill; t exec-fifo "$S/exec.fifo"; t handoff; sh_args 'echo never'; } >"$S/plan"
timeout 30 python3 "$(dirname "$0")/subreaper.py" "$S/reaped" bash -c '
	"$0" "$1" 3>"$2" </dev/null >"$4" 2>&1 &
	for _ in $(seq 200); do grep -q "^created" "$2" 2>/dev/null && break; sleep 0.05; done
	cpid="$(sed -n "s/^created //p" "$2")"
	echo "$cpid $!" >"$3"
	# exec: a bash still alive when the init dies would reap it (the
	# init is its child, CLONE_PARENT) before the subreaper inherits it
	exec /bin/kill -9 "$cpid"' "$MON" "$S/plan" "$S/sync" "$S/who" "$S/log"
read -r cpid mpid <"$S/who"
grep -qx "$cpid -9" "$S/reaped" && grep -qx "$mpid 0" "$S/reaped" &&
	ok "handoff: an init killed before start is the subreaper's; the monitor leaves" ||
	bad "handoff: kill: $(tr '\n' ' ' <"$S/reaped") (init $cpid, monitor $mpid)"
! grep -q never "$S/log" 2>/dev/null && ok "handoff: killed before start, it never ran" || bad "handoff: ran after kill"

# a failing setup under handoff: the error comes back, nothing is left
fresh
{ STDIO_INHERIT=1 base handoff-fail; t handoff; t init /no/such/init; sh_args true; } >"$S/plan"
timeout 30 python3 "$(dirname "$0")/subreaper.py" "$S/reaped" "$MON" "$S/plan" 3>"$S/sync" >/dev/null 2>&1
grep -q '^error' "$S/sync" && [ "$(wc -l <"$S/reaped")" -ge 1 ] && ! grep -q "^created" "$S/sync" &&
	ok "handoff: a setup error is reported; the init is reaped" || bad "handoff: fail: $(cat "$S/sync" "$S/reaped")"
