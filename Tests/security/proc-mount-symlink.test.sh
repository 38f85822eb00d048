#!/bin/bash
# CVE-2019-19921 class: an image whose /proc is a symlink (here into a
# directory of the image, as it could be into a volume another container
# controls) gets procfs mounted where the symlink leads, and the masked,
# read-only and sysctl paths applied beneath /proc then miss it. A proc
# (or sysfs) mount whose destination is or passes through a symlink is
# refused, with an error naming the mount; nothing is left behind.
source "$(dirname "$0")/lib.sh"

for dest in /proc /sys; do
	name="${dest#/}"
	B="$(bundle "$name" cat /proc/timer_list)"
	jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$NS_TAG-$name"
	rm -rf "$B/rootfs$dest"
	mkdir -p "$B/rootfs/evil$dest"
	ln -s "/evil$dest" "$B/rootfs$dest"
	nest create --bundle "$B" "$NS_TAG-$name" >/dev/null 2>"$T/err"
	rc=$?
	out="$(cat "$T/err")"
	nest delete -f "$NS_TAG-$name" >/dev/null 2>&1
	check "CVE-2019-19921: a $dest that is a symlink is refused" test $rc -ne 0
	case "$out" in
	*"mount $dest"*symlink*) ok "CVE-2019-19921: the error names the mount ($out)" ;;
	*) bad "CVE-2019-19921: unclear error for $dest: $out" ;;
	esac
	check "CVE-2019-19921: nothing was mounted at the symlink's target" test -z "$(ls -A "$B/rootfs/evil$dest")"
done
finish
