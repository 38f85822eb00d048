#!/bin/bash
# Issue 11 item 2: `nest exec --cwd` (and a --process file's cwd) names a
# path in the container, which the container controls: a symlink to "/",
# to a host path, up through "..", to /proc/self/fd/N (CVE-2024-21626
# class), a cwd with "..", and a directory that a swapper in the container
# exchanges with a symlink to a host path while `nest exec` runs again and
# again (CVE-2021-30465 class). The process's cwd must be inside the
# container (its ".." chain ends at the container's "/", execprobe.c
# "where"), or the exec fails with an error naming the cwd.
source "$(dirname "$0")/lib.sh"

RUNS="${EXEC_RACE_RUNS:-300}"
gcc -O2 -static -o "$T/execprobe" "$(dirname "$0")/execprobe.c" || { bad "build execprobe"; finish; }
gcc -O2 -static -o "$T/swapper" "$(dirname "$0")/swapper.c" || { bad "build swapper"; finish; }
MARK="HOSTMARK-$NS_TAG"
touch "$T/$MARK"
ID="$NS_TAG-c"
B="$(bundle c sleep 1000)"
R="$B/rootfs"
cp "$T/execprobe" "$T/swapper" "$R/"
mkdir -p "$R/tmp/d/sub"
ln -s / "$R/tmp/to-root"
ln -s "$T" "$R/tmp/to-host"
ln -s ../../../../../../../.. "$R/tmp/up"
ln -s "../../../../../../../..$T" "$R/tmp/up-host"
ln -s /proc/1/root "$R/tmp/to-init-root"
ln -s /proc/self/cwd "$R/tmp/to-self-cwd"
jqset "$B" '.root.readonly = false | .linux.cgroupsPath = $c' --arg c "/$ID"
nest run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 || { bad "the container did not start"; finish; }

# judge WHAT OUTPUT RC: inside, or refused with an error naming the cwd
judge() {
	local what="$1" out="$2" rc="$3"
	case "$out" in
	*OUTSIDE* | *HOSTMARK*) bad "exec cwd $what: the process started outside the container: $out" ;;
	"inside "*) ok "exec cwd $what: inside the container (${out#inside })" ;;
	*cwd*) if [ "$rc" != 0 ]; then ok "exec cwd $what: refused ($out)"; else bad "exec cwd $what: rc 0 with: $out"; fi ;;
	*) bad "exec cwd $what: rc $rc, unclear: $out" ;;
	esac
}
try_cwd() {
	local out rc
	out="$(nest exec --cwd "$1" "$ID" sh -c '/execprobe where; ls -a . .. ../.. 2>/dev/null | grep HOSTMARK' 2>&1)"
	rc=$?
	judge "--cwd $1" "$out" "$rc"
}
for c in /tmp/to-root /tmp/to-host /tmp/up /tmp/up-host /tmp/to-init-root /tmp/to-self-cwd /tmp/d/../../../.. \
	/../../.. "$T" /tmp/up/tmp/to-host /proc/self/root /proc/1/cwd; do
	try_cwd "$c"
done
for n in 3 4 5 6 7 8 9 10; do try_cwd "/proc/self/fd/$n"; done

# process.cwd in a --process file
for c in /../../.. /tmp/up/.. /tmp/to-host /proc/self/fd/4; do
	jq -n --arg c "$c" '{args: ["/execprobe", "where"], cwd: $c, env: ["PATH=/bin"], user: {uid: 0, gid: 0}}' >"$T/proc.json"
	out="$(nest exec --process "$T/proc.json" "$ID" 2>&1)"
	judge "process.cwd $c" "$out" $?
done

# A directory swapped with a symlink to a host path (and back) while
# exec after exec enters it.
mkdir -p "$R/tmp/race"
nest exec -d "$ID" sh -c "/swapper exchange '$T' /tmp/race >/tmp/swaps" >/dev/null 2>&1 || bad "the swapper did not start"
inside=0 refused=0 outside=0 other=""
for i in $(seq "$RUNS"); do
	out="$(nest exec --cwd /tmp/race "$ID" /execprobe where 2>&1)"
	rc=$?
	case "$out" in
	*OUTSIDE*) outside=$((outside + 1)); other="$out" ;;
	"inside "*) inside=$((inside + 1)) ;;
	*cwd*) [ $rc != 0 ] && refused=$((refused + 1)) || other="$out" ;;
	*) other="$out" ;;
	esac
done
for p in /proc/[0-9]*; do
	[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "/swapper exchange $T /tmp/race " ] && kill -TERM "${p#/proc/}"
done
i=0
while [ ! -s "$R/tmp/swaps" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
echo "info: exec with a swapped cwd: $RUNS execs, $inside inside, $refused refused, $(cat "$R/tmp/swaps") swaps"
check "exec cwd swapped for a symlink: never outside the container ($outside outside${other:+: $other})" \
	test "$outside" = 0 -a -z "$other"
check "exec cwd swapped for a symlink: the swapper swapped (at least 200 times)" test "$(cat "$R/tmp/swaps")" -ge 200
check "exec cwd swapped for a symlink: both outcomes were seen ($inside inside, $refused refused)" \
	test "$inside" -gt 0 -a "$refused" -gt 0
nest delete -f "$ID" >/dev/null 2>&1
finish
