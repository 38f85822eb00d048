#!/bin/bash
# Issue 9 item 1: a created container's init leaked host fds (the exec
# FIFO's directory, the FIFO, the rootfs O_PATH fd) and was dumpable; a
# second container that joins its PID namespace read host files through
# /proc/1/fd/N/../.. . Checked in the created and the running state: the
# init holds only stdio and its channel to the monitor, and from a second
# container in its PID namespace neither fd, exe, root, cwd, mem nor
# environ of PID 1 leads to the host (without CAP_SYS_PTRACE nothing of
# /proc/1 opens; with it, nothing reaches the host).
source "$(dirname "$0")/lib.sh"

MARK="HOSTMARK-$NS_TAG"
touch "$T/$MARK" "$T/run-$MARK" 2>/dev/null
A="$(bundle a sleep 1000)"
jqset "$A" '.linux.cgroupsPath = $c' --arg c "/$NS_TAG-a"
nest create --bundle "$A" "$NS_TAG-a" >/dev/null 2>&1 || bad "create a"
APID="$(nest state "$NS_TAG-a" | jq -r .pid)"

# From the host: every fd of the init from 3 up is a socket, pipe or anon
host_fds() {
	local state="$1" f l leaked=""
	for f in /proc/"$APID"/fd/*; do
		[ "${f##*/}" -ge 3 ] 2>/dev/null || continue
		l="$(readlink "$f")"
		case "$l" in socket:*|pipe:*|anon_inode:*) ;; *) leaked="$leaked ${f##*/}=$l" ;; esac
	done
	check "item 1 ($state): the init holds no host file or directory fd${leaked:+ (leaked:$leaked)}" test -z "$leaked"
}

# A second container in A's PID namespace probes /proc/1.
probe() {
	local state="$1" caps="$2" id="$NS_TAG-b$RANDOM"
	local B
	B="$(bundle "b$RANDOM" sh -c '
		found=""
		for f in /proc/1/fd/*; do
			for p in "$f" "$f/.." "$f/../.." "$f/../../.."; do
				ls -a "$p" 2>/dev/null | grep -q HOSTMARK && found="$found $p"
			done
			cat "$f/../../'"$MARK"'" >/dev/null 2>&1 && found="$found $f/../../mark"
		done
		for p in /proc/1/root /proc/1/cwd /proc/1/root/.. /proc/1/cwd/../..; do
			ls -a "$p" 2>/dev/null | grep -q HOSTMARK && found="$found $p"
		done
		cat /proc/1/exe/.. >/dev/null 2>&1 && found="$found exe/.."
		[ "'"$caps"'" = default ] && {
			head -c 1 /proc/1/environ >/dev/null 2>&1 && found="$found environ"
			dd if=/proc/1/mem bs=1 count=1 skip=4194304 >/dev/null 2>&1 && found="$found mem"
		}
		echo "found:$found"')"
	jqset "$B" '.linux.cgroupsPath = $c | (.linux.namespaces[] | select(.type == "pid")) += {path: $p}' \
		--arg c "/$id" --arg p "/proc/$APID/ns/pid"
	[ "$caps" = ptrace ] && jqset "$B" '.process.capabilities.bounding += ["CAP_SYS_PTRACE"] |
		.process.capabilities.effective += ["CAP_SYS_PTRACE"] | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
	local out
	out="$(nest run --bundle "$B" "$id" 2>&1)"
	nest delete -f "$id" >/dev/null 2>&1
	case "$out" in
	"found:") ok "item 1 ($state, $caps caps): /proc/1 of the init leads nowhere on the host" ;;
	*) bad "item 1 ($state, $caps caps): reached from a second container: $out" ;;
	esac
}

host_fds created
probe created default
probe created ptrace
nest start "$NS_TAG-a" >/dev/null 2>&1 || bad "start a"
sleep 0.3
check "item 1: the container runs after start" test "$(nest state "$NS_TAG-a" | jq -r .status)" = running
host_fds running
probe running default
probe running ptrace
nest delete -f "$NS_TAG-a" >/dev/null 2>&1
finish
