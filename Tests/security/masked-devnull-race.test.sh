#!/bin/bash
# Issue 9 item 3, CVE-2025-31133 class: masked paths are bound from
# /dev/null; when /dev (here: the rootfs's /dev, not a tmpfs) is shared
# with another container, that one swaps /dev/null for a symlink to
# /proc/sys/kernel/core_pattern while containers are created, so that
# /proc/timer_list would become a writable bind of core_pattern. The mask
# comes only from an fd checked to be the null device (1:3): every
# container that starts has /proc/timer_list (and the other masked files)
# as the null device, or its create fails; the host's core_pattern is
# unchanged.
source "$(dirname "$0")/lib.sh"

gcc -O2 -o "$T/swapper" "$(dirname "$0")/swapper.c" || { bad "build swapper"; finish; }
core_before="$(cat /proc/sys/kernel/core_pattern)"
B="$(bundle shared sh -c 'for f in /proc/timer_list /proc/kcore /proc/sched_debug; do [ -e $f ] && stat -L -c "$f %F %t:%T" $f; done; echo end')"
# /dev is the rootfs's own directory: shared by every container of the bundle
jqset "$B" 'del(.mounts[] | select(.destination == "/dev"))'

"$T/swapper" nullflip /proc/sys/kernel/core_pattern "$B/rootfs/dev/null" >"$T/swaps" &
SW=$!
runs=0 started=0 wrong=""
# At least 60 creates, and on until 3 have started (the swapper wins most
# races, and some runs saw none of 60 start): up to 600.
for i in $(seq 1 600); do
	[ "$runs" -ge 60 ] && [ "$started" -ge 3 ] && break
	id="$NS_TAG-m$i"
	jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$id"
	out="$(nest run --bundle "$B" "$id" 2>&1)"
	runs=$((runs + 1))
	nest delete -f "$id" >/dev/null 2>&1
	case "$out" in *end*) started=$((started + 1)) ;; *) continue ;; esac
	bad_lines="$(echo "$out" | grep '^/proc' | grep -v 'character special file 1:3')"
	[ -n "$bad_lines" ] && wrong="$wrong [$bad_lines]"
done
kill -TERM $SW; wait $SW
echo "info: $runs creates, $started started, $(cat "$T/swaps") swaps"
check "CVE-2025-31133: the swapper ran" test "$(cat "$T/swaps")" -gt 200
check "CVE-2025-31133: some containers started (the test saw masks)" test "$started" -gt 0
check "CVE-2025-31133: every masked file is the null device${wrong:+:$wrong}" test -z "$wrong"
check "CVE-2025-31133: the host's core_pattern is unchanged" test "$(cat /proc/sys/kernel/core_pattern)" = "$core_before"
finish
