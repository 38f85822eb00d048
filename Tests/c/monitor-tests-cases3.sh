# Sourced by monitor-tests-cases2.sh: hold plans, hooks with annotations
# and nest-monitor -H; then monitor-tests-cases4.sh (the handed-off init).

# --- hold: a plan that runs no program holds its namespaces for another ---
H="$T/hold"
mkdir -p "$H"
{
	t version 1
	t id mon-hold
	t state-dir "$H"
	t sync-fd 3
	t status-file "$H/status"
	t stdio null
	t hold
	t namespace network -
	t namespace uts -
	t hostname nest-held
} >"$H/plan"
timeout 60 "$MON" "$H/plan" 3>"$H/sync" &
hmon=$!
for _ in $(seq 100); do grep -q '^created' "$H/sync" 2>/dev/null && break; sleep 0.05; done
hpid="$(sed -n 's/^created //p' "$H/sync")"
if [ -z "$hpid" ]; then
	bad "hold: not created: $(cat "$H/sync")"
else
	[ "$(cat /proc/$hpid/comm)" = nest-hold ] && ok "hold: the init runs no program" || bad "hold: comm $(cat /proc/$hpid/comm)"
	[ "$(readlink /proc/$hpid/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] && ok "hold: its own uts namespace" || bad "hold: uts namespace is the host's"
	[ "$(readlink /proc/$hpid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] &&
		ok "hold: no mount namespace, no mount step" || bad "hold: mount namespace made"
	fresh
	{
		base joiner | grep -vE $'^namespace\t(network|uts)\t'
		t namespace network "/proc/$hpid/ns/net"
		t namespace uts "/proc/$hpid/ns/uts"
		sh_args 'hostname; readlink /proc/self/ns/net'
	} >"$S/plan"
	run
	expect_status "hold: a process joins its namespaces" 0
	expect_log "hold: the joiner sees the held hostname" 'stdout nest-held$'
	expect_log "hold: the joiner is in the held network namespace" "stdout $(readlink /proc/$hpid/ns/net | sed 's/[][]/./g')\$"
	kill -TERM "$hpid"
	wait "$hmon"
	grep -q '"exitCode":0,' "$H/status" 2>/dev/null && ok "hold: SIGTERM ends it with 0" || bad "hold: status $(cat "$H/status" 2>&1)"
fi
kill -9 "$hpid" "$hmon" 2>/dev/null
wait "$hmon" 2>/dev/null

# --- hooks: the annotations for every kind; poststart/poststop by -H ---
fresh
printf '#!/bin/sh\ncat > "%s/ahook-$1.json"\ngrep SigIgn /proc/self/status > "%s/ahook-$1.sigign"\n' "$T" "$T" >"$T/ahook.sh"
chmod +x "$T/ahook.sh"
{
	base annotated
	t annotation org.nest.test 'a"b'
	t annotation second ''
	for k in prestart createRuntime poststart poststop; do
		t hook "$k" 5 "$T/ahook.sh" 2 ahook.sh "$k"
	done
	sh_args true
} >"$S/plan"
run
expect_status "annotations: ran" 0
cpid="$(sed -n 's/^created //p' "$S/sync")"
for k in prestart createRuntime; do
	grep -q '"annotations":{"org.nest.test":"a\\"b","second":""}' "$T/ahook-$k.json" 2>/dev/null &&
		ok "annotations: $k got them" || bad "annotations: $k: $(cat "$T/ahook-$k.json" 2>&1)"
done
[ ! -e "$T/ahook-poststart.json" ] && [ ! -e "$T/ahook-poststop.json" ] &&
	ok "hooks: the monitor leaves poststart and poststop to -H" || bad "hooks: poststart or poststop ran at create"
"$MON" -H poststart "$S/plan" "$cpid" running 3>"$S/hsync"
hrc=$?
[ "$hrc" = 0 ] && [ ! -s "$S/hsync" ] && ok "hook mode: poststart ran" || bad "hook mode: rc=$hrc $(cat "$S/hsync")"
grep -q "\"status\":\"running\",\"pid\":$cpid,.*\"annotations\":{\"org.nest.test\"" "$T/ahook-poststart.json" 2>/dev/null &&
	ok "hook mode: poststart got the state and the annotations" || bad "hook mode: $(cat "$T/ahook-poststart.json" 2>&1)"
# the plan read from fd 4 (the state directory may be gone for poststop)
"$MON" -H poststop - 0 stopped 3>"$S/hsync" 4<"$S/plan"
grep -q '"status":"stopped","pid":0,.*"annotations":{"org.nest.test"' "$T/ahook-poststop.json" 2>/dev/null &&
	ok "hook mode: poststop from fd 4 got the annotations" || bad "hook mode: poststop: $(cat "$T/ahook-poststop.json" "$S/hsync" 2>&1)"
for k in prestart poststop; do
	mask="$(awk '{print $2}' "$T/ahook-$k.sigign" 2>/dev/null)"
	[ -n "$mask" ] && [ $((0x$mask & 0x1000)) = 0 ] && ok "hooks: $k sees SIGPIPE at its default" || bad "hooks: $k SigIgn $mask"
done
{ base hookfail; t hook poststart 1 /bin/sleep 2 sleep 10; sh_args true; } >"$S/hplan"
"$MON" -H poststart "$S/hplan" 1 running 3>"$S/hsync"
hrc=$?
[ "$hrc" = 1 ] && grep -q $'^error\thook\t/bin/sleep\t0\t\thook poststart /bin/sleep: timed out after 1s$' "$S/hsync" &&
	ok "hook mode: a hook past its timeout is killed and reported" || bad "hook mode: timeout: rc=$hrc $(cat "$S/hsync")"
# a poststart failure: every hook still runs, each failure is named
{ base hookrest; t hook poststart 0 /bin/false 1 false; t hook poststart 0 /bin/sh 3 sh -c 'exit 3'
  t hook poststart 5 "$T/ahook.sh" 2 ahook.sh rest; sh_args true; } >"$S/hplan"
rm -f "$T/ahook-rest.json"
"$MON" -H poststart "$S/hplan" 1 running 3>"$S/hsync"
hrc=$?
[ "$hrc" = 1 ] && grep -q $'^error\thook\t/bin/false\t0\t\thook poststart /bin/false: exit status 1; hook poststart /bin/sh: exit status 3$' "$S/hsync" &&
	grep -q '"status":"running"' "$T/ahook-rest.json" 2>/dev/null &&
	ok "hook mode: after a failing poststart hook the rest run" || bad "hook mode: rest: rc=$hrc $(cat "$S/hsync")"
# a state larger than a pipe: hooks that do not read it meet EPIPE, not
# SIGPIPE; the exit status decides, and a timeout still holds
big="$(head -c 70000 /dev/zero | tr '\0' a)"
for h in "/bin/false 1 false:1" "/bin/sh 3 sh -c echo:0" "/bin/sleep 2 sleep 30:1"; do
	{ base bigstate; t annotation big "$big"; t hook createRuntime 1 ${h%:*}; sh_args true; } >"$S/plan"
	run
	want=${h##*:}
	if [ "$want" = 0 ]; then
		[ "$rc" = 0 ] && grep -q '^created ' "$S/sync" && ok "big state: ${h%% *} not reading it succeeds" ||
			bad "big state: ${h%% *}: rc=$rc $(cat "$S/sync")"
	else
		[ "$rc" = 1 ] && sync_msg | grep -q "^hook createRuntime ${h%% *}: \(exit status 1\|timed out after 1s\)" &&
			ok "big state: ${h%% *} not reading it fails by its status" || bad "big state: ${h%% *}: rc=$rc $(cat "$S/sync")"
	fi
done
. "$(dirname "$0")/monitor-tests-cases4.sh"
