#!/bin/bash
# Issue 11 item 2: `nest exec --tty --console-socket PATH`. PATH is the
# caller's, a host path: the monitor connects to it on the host, before it
# joins the container, and sends the pty master there. Checked here: the
# master is always one of the container's own ptys (its devpts, never the
# host's); a PATH that is not a socket (a file, a FIFO, a directory, a
# missing or dangling name) fails the exec with an error naming it, at once,
# and the command never runs; a symlink to a socket is followed, as runc
# does. Shown, not asserted: a PATH in a directory the container controls
# (its rootfs) is swapped by the container for a symlink to another host
# socket, which then gets the connection (the name "/dev/pts/N" and the
# container's pty master): a caller must not name such a path, as with runc
# (docs/security.md, "Limits").
source "$(dirname "$0")/lib.sh"

gcc -O2 -static -o "$T/execprobe" "$(dirname "$0")/execprobe.c" || { bad "build execprobe"; finish; }
ID="$NS_TAG-t"
B="$(bundle t sleep 1000)"
R="$B/rootfs"
jqset "$B" '.root.readonly = false | .linux.cgroupsPath = $c' --arg c "/$ID"
nest run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 || { bad "the container did not start"; finish; }

# a hang is a failure, not the end of the suite
tnest() { timeout 60 "$BINDIR/nest" --root "$ROOT" "$@"; }
RECEIVERS=""
receiver() { # SOCK OUT: a receiver in the background
	"$T/execprobe" console "$1" "$2" &
	RECEIVERS="$RECEIVERS $!"
	local i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
receiver "$T/console.sock" "$T/console.got"
ln -s "$T/console.sock" "$T/link.sock"

out="$(tnest exec -t --console-socket "$T/console.sock" "$ID" sh -c 'touch /tmp/ran-direct' 2>&1)"
check "console socket: exec -t works (rc $?: $out)" test -e "$R/tmp/ran-direct"
out="$(tnest exec -t --console-socket "$T/link.sock" "$ID" sh -c 'touch /tmp/ran-link' 2>&1)"
check "console socket: a symlink to the socket is followed (rc $?: $out)" test -e "$R/tmp/ran-link"
echo "info: the receiver got: $(tr '\n' ';' <"$T/console.got")"
check "console socket: two masters received, each from the container's devpts" \
	test "$(grep -c '^/dev/pts/[0-9]* other-devpts$' "$T/console.got")" = 2

# not a socket: refused by name, at once, nothing run
touch "$T/file"
mkfifo "$T/fifo"
mkdir "$T/dir"
ln -s "$T/missing" "$T/dangling"
for p in file fifo dir missing dangling; do
	out="$(tnest exec -t --console-socket "$T/$p" "$ID" touch "/tmp/ran-$p" 2>&1)"
	rc=$?
	check "console socket $p: refused naming it (rc $rc: $out)" test $rc != 0 -a $rc != 124 -a -n "$(echo "$out" | grep console-socket)"
	check "console socket $p: the command did not run" test ! -e "$R/tmp/ran-$p"
done

# A path in the container's rootfs, swapped by the container for a symlink
# to another host socket before the exec.
receiver "$R/tmp/c.sock" "$T/caller.got"
receiver "$T/victim.sock" "$T/victim.got"
nest exec "$ID" sh -c "rm /tmp/c.sock; ln -s '$T/victim.sock' /tmp/c.sock" >/dev/null 2>&1
out="$(tnest exec -t --console-socket "$R/tmp/c.sock" "$ID" true 2>&1)"
echo "info: a console socket in the rootfs swapped for a symlink to a host socket: exec rc $? ($out);" \
	"the caller's receiver got: $(tr '\n' ';' <"$T/caller.got" 2>/dev/null), the other host socket got: $(tr '\n' ';' <"$T/victim.got" 2>/dev/null)"
check "console socket swapped: whatever was received is the container's pty" \
	sh -c "! cat '$T/caller.got' '$T/victim.got' 2>/dev/null | grep -qv ' other-devpts$'"

for p in $RECEIVERS; do kill -TERM "$p"; wait "$p"; done
nest delete -f "$ID" >/dev/null 2>&1
finish
