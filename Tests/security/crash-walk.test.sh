#!/bin/bash
# Fault injection (issue 9 item 11, class: half-made containers after a
# crash). NEST_CRASH_AT=POINT makes nest, nestd or the monitor SIGKILL
# itself at POINT. For every point of a create and a delete, through `nest`
# and through nestd (restarted after its crash), nothing may be left once
# `nest delete -f` (or the restarted nestd's recovery, then `nestctl rm -f`
# of what it lists) has run: no process, cgroup dir, mount, state or data
# dir. A container that reached "created" must still be listed and
# deletable.
source "$(dirname "$0")/lib.sh"

B=$(bundle b sleep 100)
BT=$(bundle bt true)
walked=0

# leftovers LABEL: everything of this test that should not exist (the
# nestd test's --root and data dirs included), one line each
leftovers() {
	procs_of_test | while read -r p; do
		# this script's own subshells and helpers are not leftovers
		case "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" in
			*nest-monitor*|*nest-init*|*sleep\ 100*|*nestd*) echo "process $p: $(tr '\0' ' ' < "/proc/$p/cmdline")" ;;
		esac
	done
	cgroups_of_test | sed 's/^/cgroup /'
	mounts_of_test | sed 's/^/mount /'
	ls "$ROOT" 2>/dev/null | sed 's/^/state dir /'
	ls "$T/droot" 2>/dev/null | sed 's/^/nestd state dir /'
	ls "$T/droot/.nestd/containers" 2>/dev/null | sed 's/^/nestd ephemeral dir /'
	ls "$T/data/containers" 2>/dev/null | sed 's/^/nestd data dir /'
}
# nothing_left LABEL
nothing_left() {
	local left
	sleep 0.2
	left=$(leftovers)
	if [ -z "$left" ]; then ok "$1: nothing left"; else bad "$1: left: $(echo $left)"; fi
}

# --- nest: crash points of create, then `nest delete -f` of what `nest list` shows
for p in create:state-dir create:creating create:cgroups create:plan create:monitor create:state \
	monitor:clone monitor:joined monitor:created; do
	walked=$((walked + 1))
	id="$NS_TAG-n$walked"
	(NEST_CRASH_AT=$p exec "$BINDIR/nest" --root "$ROOT" create -b "$B" "$id" </dev/null >/dev/null 2>&1) 2>/dev/null
	rc=$?
	case $p in create:*) check "nest $p: nest crashed there" [ $rc = 137 ] ;; esac
	listed=$(nest list -q)
	case $p in
	create:state)
		# the container reached "created": it must stay listed as such
		check "nest $p: the created container is listed" [ "$listed" = "$id" ]
		check "nest $p: its state is created" [ "$(nest state "$id" 2>/dev/null | jq -r .status)" = created ] ;;
	monitor:created)
		# created, then its monitor died: listed, created or (when the
		# init had not yet stopped dying with its monitor) stopped
		check "nest $p: the created container is listed" [ "$listed" = "$id" ]
		st=$(nest state "$id" 2>/dev/null | jq -r .status)
		check "nest $p: its state is created or stopped ($st)" [ "$st" = created -o "$st" = stopped ] ;;
	monitor:clone|monitor:joined) ;;   # the create failed and undid itself
	*)
		check "nest $p: the half-made container is listed" [ "$listed" = "$id" ] ;;
	esac
	for i in $listed; do nest delete -f "$i" || bad "nest $p: delete -f $i failed"; done
	nothing_left "nest $p"
done

# the monitor killed after its init exited, before it wrote the status
walked=$((walked + 1))
id="$NS_TAG-n$walked"
NEST_CRASH_AT=monitor:exited "$BINDIR/nest" --root "$ROOT" create -b "$BT" "$id" </dev/null >/dev/null 2>&1
nest start "$id"
sleep 0.5
check "nest monitor:exited: the container is stopped" [ "$(nest state "$id" | jq -r .status)" = stopped ]
nest delete -f "$id" || bad "nest monitor:exited: delete -f failed"
nothing_left "nest monitor:exited"

# crash points of delete: a second `delete -f` finishes it
for p in delete:killed delete:cgroups; do
	walked=$((walked + 1))
	id="$NS_TAG-n$walked"
	nest create -b "$B" "$id" </dev/null >/dev/null 2>&1 || bad "nest $p: create failed"
	(NEST_CRASH_AT=$p exec "$BINDIR/nest" --root "$ROOT" delete -f "$id") 2>/dev/null
	check "nest $p: nest crashed there" [ $? = 137 ]
	check "nest $p: the container is still listed" [ "$(nest list -q)" = "$id" ]
	nest delete -f "$id" || bad "nest $p: second delete -f failed"
	nothing_left "nest $p"
done

# --- nestd: crash points of its create; a restarted nestd recovers
# dead PID: gone, or a zombie not yet waited for
dead() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
nestd_ids() { nestctl ps -a --format json 2>/dev/null | jq -r '.[] | .id' 2>/dev/null; }
restart_clean() {
	stop_nestd
	start_nestd
}
for p in nestd:data-dir create:state-dir create:creating create:cgroups create:plan create:monitor create:state \
	nestd:runtime-created nestd:record monitor:clone monitor:joined monitor:created; do
	walked=$((walked + 1))
	NEST_CRASH_AT=$p start_nestd
	nestctl create "$B" >/dev/null 2>&1
	case $p in
	monitor:*) ;;
	*) sleep 0.1; check "nestd $p: nestd crashed there" dead "$NESTD_PID" ;;
	esac
	restart_clean
	listed=$(nestd_ids)
	case $p in
	nestd:record|monitor:created)
		check "nestd $p: the created container is listed after the restart" [ -n "$listed" ] ;;
	*)
		check "nestd $p: nothing is listed after the restart ($listed)" [ -z "$listed" ] ;;
	esac
	for i in $listed; do nestctl rm -f "$i" >/dev/null || bad "nestd $p: rm -f $i failed"; done
	stop_nestd
	nothing_left "nestd $p"
done

# crash points of nestd's delete: the restarted nestd finishes it
for p in delete:killed delete:cgroups; do
	walked=$((walked + 1))
	start_nestd
	id=$(nestctl create "$B" 2>/dev/null)
	stop_nestd
	NEST_CRASH_AT=$p start_nestd
	nestctl rm -f "$id" >/dev/null 2>&1
	sleep 0.1
	check "nestd $p: nestd crashed there" dead "$NESTD_PID"
	restart_clean
	check "nestd $p: the container is gone after the restart" [ -z "$(nestd_ids)" ]
	stop_nestd
	nothing_left "nestd $p"
done
echo "crash points walked: $walked"
finish
