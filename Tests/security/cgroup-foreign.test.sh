#!/bin/bash
# Attack class: host damage through linux.cgroupsPath (issue 9 item 5). A
# config naming a cgroup that exists and holds host processes must not get
# them killed, nor the cgroup removed: creating into a non-empty existing
# cgroup is refused (naming linux.cgroupsPath), an existing empty one is
# used but left in place at delete, and only the dirs Nest made (per
# hierarchy) are killed and removed.
source "$(dirname "$0")/lib.sh"

# The container's dir in every hierarchy Nest uses (v1 controllers and the
# cgroup2 mount), as `nest` finds them: one dir per mount.
hierarchies() {
	awk '$9 == "cgroup2" || ($9 == "cgroup" && $NF !~ /name=/) {print $5}' /proc/self/mountinfo | sort -u
}
# mkcg NAME: NAME in every hierarchy (cpuset given the root's cpus and mems)
mkcg() {
	local h
	for h in $(hierarchies); do
		mkdir -p "$h/$1"
		[ -f "$h/cpuset.cpus" ] && cat "$h/cpuset.cpus" > "$h/$1/cpuset.cpus" && cat "$h/cpuset.mems" > "$h/$1/cpuset.mems"
	done
	return 0
}
rmcg() { local h; for h in $(hierarchies); do rmdir "$h/$1" 2>/dev/null; done; return 0; }
count_cg() { local h n=0; for h in $(hierarchies); do [ -d "$h/$1" ] && n=$((n + 1)); done; echo $n; }
nh=$(hierarchies | wc -l)

B=$(bundle b sleep 100)

# 1. A cgroup that holds a host process, in every hierarchy.
FOREIGN="$NS_TAG-foreign"
mkcg "$FOREIGN"
sleep 1000 &
VICTIM=$!
for h in $(hierarchies); do echo "$VICTIM" > "$h/$FOREIGN/cgroup.procs" || bad "could not move the victim into $h/$FOREIGN"; done
jqset "$B" '.linux.cgroupsPath = $p' --arg p "/$FOREIGN"
# (stdio to a file: a container that does get created holds what it inherits)
nest create -b "$B" "$NS_TAG-c1" </dev/null >"$T/out" 2>&1
rc=$?
out=$(cat "$T/out")
check "cgroupsPath: create into a cgroup holding host processes is refused" [ $rc -ne 0 ]
check "cgroupsPath: the error names linux.cgroupsPath ($out)" grep -q "linux.cgroupsPath" <<<"$out"
nest delete -f "$NS_TAG-c1" >/dev/null 2>&1
check "cgroupsPath: the host process survives create and delete -f" kill -0 "$VICTIM"
check "cgroupsPath: the host's cgroup is still there in all $nh hierarchies" [ "$(count_cg "$FOREIGN")" = "$nh" ]
check "cgroupsPath: no container state is left" [ -z "$(ls "$ROOT" 2>/dev/null)" ]
kill -9 "$VICTIM"; wait "$VICTIM" 2>/dev/null
rmcg "$FOREIGN"

# 2. An empty cgroup that exists before the container: used, not removed.
EMPTY="$NS_TAG-empty"
mkcg "$EMPTY"
jqset "$B" '.linux.cgroupsPath = $p' --arg p "/$EMPTY"
if nest create -b "$B" "$NS_TAG-c2" </dev/null >/dev/null; then
	pid=$(nest state "$NS_TAG-c2" | jq -r .pid)
	check "cgroupsPath: the container runs in the existing empty cgroup" \
		grep -q "$EMPTY" "/proc/$pid/cgroup"
	nest start "$NS_TAG-c2"
	# a host process put into the cgroup afterwards is not the container's
	sleep 1000 &
	VICTIM=$!
	for h in $(hierarchies); do echo "$VICTIM" > "$h/$EMPTY/cgroup.procs"; done
	nest kill --all "$NS_TAG-c2" KILL
	sleep 0.3
	check "cgroupsPath: kill --all spares a host process in a cgroup Nest did not make" kill -0 "$VICTIM"
	nest delete -f "$NS_TAG-c2"
	check "cgroupsPath: delete leaves the cgroup it did not make (all $nh hierarchies)" [ "$(count_cg "$EMPTY")" = "$nh" ]
	check "cgroupsPath: ... and the host process in it" kill -0 "$VICTIM"
	# (handed to its caller's reaper, the killed init may stay a zombie a moment)
	check "cgroupsPath: the container's process is gone" \
		sh -c "[ ! -e /proc/$pid ] || grep -q '^State:[[:space:]]*Z' /proc/$pid/status"
	kill -9 "$VICTIM"; wait "$VICTIM" 2>/dev/null
else
	bad "cgroupsPath: create into an existing empty cgroup failed"
fi
rmcg "$EMPTY"

# 3. Existing in one hierarchy only: Nest makes the others and removes only those.
PART="$NS_TAG-part"
mem=$(hierarchies | grep -m1 memory)
mkdir "$mem/$PART"
jqset "$B" '.linux.cgroupsPath = $p' --arg p "/$PART"
if nest create -b "$B" "$NS_TAG-c3" </dev/null >/dev/null; then
	check "cgroupsPath: Nest made the dirs of the other hierarchies" [ "$(count_cg "$PART")" = "$nh" ]
	nest delete -f "$NS_TAG-c3"
	check "cgroupsPath: delete removed the dirs it made and left $mem/$PART" \
		[ "$(count_cg "$PART")" = 1 -a -d "$mem/$PART" ]
else
	bad "cgroupsPath: create into a partly existing cgroup failed"
fi
rmcg "$PART"

# 4. A cgroup Nest makes is removed, as before.
jqset "$B" '.linux.cgroupsPath = $p' --arg p "/$NS_TAG-own"
nest create -b "$B" "$NS_TAG-c4" </dev/null >/dev/null && nest delete -f "$NS_TAG-c4"
check "cgroupsPath: the cgroup Nest made is removed at delete" [ "$(count_cg "$NS_TAG-own")" = 0 ]
rmcg "$NS_TAG-own"
finish
