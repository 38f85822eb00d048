#!/bin/bash
# CVE-2021-30465 class: a mount destination inside a volume that another
# container (here: a process of the test on the volume's host directory)
# controls is swapped between a directory and a symlink to a host path
# (RENAME_EXCHANGE, as fast as it can) while containers are created; the
# mount must never land outside the container. Destinations are resolved
# in the root and mounted through the fd resolved: the host directory the
# symlink names never gets the mount nor a file of the container.
source "$(dirname "$0")/lib.sh"

gcc -O2 -o "$T/swapper" "$(dirname "$0")/swapper.c" || { bad "build swapper"; finish; }
VOL="$T/vol" TARGET="$T/host-target"
mkdir -p "$VOL/x" "$TARGET"
B="$(bundle ex sh -c 'echo pwned > /vol/x/MARK 2>/dev/null; echo end')"
jqset "$B" '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind"]},
	{destination: "/vol/x", type: "tmpfs", source: "tmpfs", options: ["nosuid"]}]' --arg v "$VOL"

"$T/swapper" exchange "$TARGET" "$VOL/x" >"$T/swaps" &
SW=$!
runs=0
for i in $(seq 1 60); do
	id="$NS_TAG-x$i"
	jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$id"
	nest run --bundle "$B" "$id" >/dev/null 2>&1
	runs=$((runs + 1))
	nest delete -f "$id" >/dev/null 2>&1
	grep -qF " $TARGET " /proc/self/mountinfo && break
done
kill -TERM $SW; wait $SW
echo "info: $runs creates, $(cat "$T/swaps") swaps"
check "CVE-2021-30465: at least 200 swaps were made" test "$(cat "$T/swaps")" -ge 200
check "CVE-2021-30465: no mount landed on the host target" sh -c "! grep -qF ' $TARGET ' /proc/self/mountinfo"
check "CVE-2021-30465: the host target got no file" test -z "$(ls -A "$TARGET")"
finish
