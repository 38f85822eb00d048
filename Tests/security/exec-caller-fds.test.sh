#!/bin/bash
# Issue 11 item 2: `nest exec` run by a caller that holds other fds (an
# engine holds many): fds 5 and 7 open on a host directory and a host file,
# fd 9 open for writing on a host file, none of them close-on-exec. The
# process gets only 0, 1, 2 and the fds --preserve-fds names: its fds are
# listed from /proc/self/fd inside (execprobe.c, "fds"; a shell would add
# fds of its own), with and without --detach and with --preserve-fds, and
# from the host.
source "$(dirname "$0")/lib.sh"

gcc -O2 -static -o "$T/execprobe" "$(dirname "$0")/execprobe.c" || { bad "build execprobe"; finish; }
mkdir "$T/hostdir"
echo secret >"$T/hostfile"
echo given >"$T/given3"
mkdir "$T/given4"
ID="$NS_TAG-f"
B="$(bundle f sleep 1000)"
cp "$T/execprobe" "$B/rootfs/"
jqset "$B" '.linux.cgroupsPath = $c' --arg c "/$ID"
nest run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 || { bad "the container did not start"; finish; }

out="$(nest exec "$ID" /execprobe fds 5<"$T/hostdir" 7<"$T/hostfile" 9>>"$T/hostfile" 2>&1)"
check "caller fds: the process holds 0, 1, 2 only (got: $out)" test "$out" = "0 1 2"

# a preserved fd is the caller's, as given (a host directory among them)
out="$(nest exec --preserve-fds 2 "$ID" /execprobe fds \
	3<"$T/given3" 4<"$T/given4" 5<"$T/hostdir" 7<"$T/hostfile" 9>>"$T/hostfile" 2>&1)"
check "caller fds: with --preserve-fds 2, 0-4 and no other (got: $out)" test "$out" = "0 1 2 3 4 OUTSIDE 4"

nest exec -d --pid-file "$T/pid" "$ID" sleep 1001 \
	5<"$T/hostdir" 7<"$T/hostfile" 9>>"$T/hostfile" </dev/null >/dev/null 2>&1 || bad "caller fds: exec --detach failed"
pid="$(cat "$T/pid" 2>/dev/null)"
nspid="$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status" 2>/dev/null)"
out="$(nest exec "$ID" ls "/proc/$nspid/fd" 2>&1 | tr '\n' ' ')"
check "caller fds (--detach): the process holds 0, 1, 2 only (got: $out)" test "$out" = "0 1 2 "
host=""
for f in /proc/"$pid"/fd/*; do host="$host ${f##*/}=$(readlink "$f")"; done
check "caller fds (--detach): from the host, the process holds /dev/null as 0, 1, 2 only (got:$host)" \
	test "$host" = " 0=/dev/null 1=/dev/null 2=/dev/null"
nest delete -f "$ID" >/dev/null 2>&1
finish
