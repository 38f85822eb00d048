#!/bin/bash
# CVE-2024-45310 class: missing mount destinations are made (directories,
# and an empty file for a file bind) inside a volume that another container
# controls; it swaps a directory on the way for a symlink to a host
# directory, so that the runtime would create files and directories on the
# host. They are made relative to fds resolved in the root, never by
# following a symlink out: the host directory stays empty.
source "$(dirname "$0")/lib.sh"

gcc -O2 -o "$T/swapper" "$(dirname "$0")/swapper.c" || { bad "build swapper"; finish; }
VOL="$T/vol" HOSTDIR="$T/host-dir"
mkdir -p "$VOL/a" "$HOSTDIR"
echo data > "$T/file-src"
B="$(bundle vc true)"
cp "$B/config.json" "$T/config.base"

"$T/swapper" exchange "$HOSTDIR" "$VOL/a" >"$T/swaps" &
SW=$!
for i in $(seq 1 60); do
	id="$NS_TAG-v$i"
	# new destinations each time: each create has them to make
	jq --arg c "/$id" --arg v "$VOL" --arg f "$T/file-src" --arg i "$i" '.linux.cgroupsPath = $c |
		.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind"]},
		{destination: "/vol/a/b\($i)/c/file", type: "bind", source: $f, options: ["bind"]},
		{destination: "/vol/a/d\($i)/e", type: "tmpfs", source: "tmpfs", options: []}]' \
		"$T/config.base" > "$B/config.json"
	nest run --bundle "$B" "$id" >/dev/null 2>&1
	nest delete -f "$id" >/dev/null 2>&1
	[ -z "$(ls -A "$HOSTDIR")" ] || break
done
kill -TERM $SW; wait $SW
echo "info: $(cat "$T/swaps") swaps"
check "CVE-2024-45310: at least 200 swaps were made" test "$(cat "$T/swaps")" -ge 200
check "CVE-2024-45310: nothing was created in the host directory ($(ls -A "$HOSTDIR" | tr '\n' ' '))" test -z "$(ls -A "$HOSTDIR")"
finish
