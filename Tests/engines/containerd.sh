#!/bin/bash
# containerd 1.6 (Debian's) with each runtime as the runc v2 shim's binary
# (`ctr run --runc-binary`), on a containerd the test starts on a private
# socket, root and state under $T: the scenarios of issue 11 item 5 as a ctr
# user meets them. See lib.sh for the output.
set -u
ENGINE=containerd
source "$(dirname "$0")/lib.sh" || exit 1
for p in containerd ctr containerd-shim-runc-v2; do
	command -v $p >/dev/null || { echo "FAIL: engines containerd: $p not installed (Tests/engines/setup.sh)"; exit 1; }
done

C="$T/containerd"
SOCK="$C/containerd.sock"
mkdir -p "$C/root" "$C/state" "$C/opt"
# No CRI (no network plugins), no /opt/containerd, no debug or metrics socket
cat > "$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOF
# The shims' sockets are under /run/containerd/s whatever the state dir
# (named by a hash of address, namespace and id): made by this test, they
# are removed with it, and /run/containerd too if it was not there before
made_run=""
[ -e /run/containerd ] || made_run=1
CTR_IDS=""
CONTAINERD_PID=""

# $T/bin/ctr: ctr on the test's containerd and namespace (a program, for
# timeout and script)
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec ctr --address %q --namespace %q "$@"\n' "$SOCK" "$TAG" > "$T/bin/ctr"
chmod 0755 "$T/bin/ctr"
CTR="$T/bin/ctr"
IMG=docker.io/library/nest-busybox:latest
# run options for RUNTIME: the shim runs the wrapper with the wrapper's root
runopts() { echo --runc-binary "$T/rt/$1" --runc-root "$T/rt-root/$1"; }

engine_cleanup() {
	local id
	if [ -n "$CONTAINERD_PID" ]; then
		for id in $(timeout 10 "$CTR" task ls -q 2>/dev/null); do
			timeout 10 "$CTR" task kill -s SIGKILL "$id" >/dev/null 2>&1
			timeout 10 "$CTR" task delete -f "$id" >/dev/null 2>&1
		done
		for id in $(timeout 10 "$CTR" containers ls -q 2>/dev/null); do
			timeout 10 "$CTR" containers delete "$id" >/dev/null 2>&1
		done
		timeout 10 "$CTR" images rm "$IMG" >/dev/null 2>&1
		timeout 10 ctr --address "$SOCK" namespaces rm "$TAG" >/dev/null 2>&1
		kill -TERM "$CONTAINERD_PID" 2>/dev/null
		timeout 30 tail --pid="$CONTAINERD_PID" -f /dev/null
		kill -KILL "$CONTAINERD_PID" 2>/dev/null
	fi
	# shims and containers left are killed by base_cleanup; their sockets go
	local p
	for p in $(procs_of_test); do kill -9 "$p" 2>/dev/null; done
	for id in $CTR_IDS; do
		rm -f "/run/containerd/s/$(printf '%s' "$SOCK/$TAG/$id" | sha256sum | cut -d' ' -f1)"
	done
	[ -z "$made_run" ] || rm -rf /run/containerd
}

# make_oci_archive: $T/busybox-oci.tar, an OCI image layout (one layer, the
# busybox rootfs) named $IMG, as `ctr images import` takes it
make_oci_archive() {
	"$REPO/scripts/mkociarchive.sh" "$T/busybox.tar" "$IMG" "$T/busybox-oci.tar"
}

# task_status ID: the task's status (RUNNING, PAUSED, STOPPED, ...) or none
task_status() { timeout 30 "$CTR" task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3; f=1} END {if (!f) print "none"}'; }
task_pid() { timeout 30 "$CTR" task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $2}'; }
# until_status ID STATUS [TENTHS]: waits (bounded, default 20 s) for the task
# to reach STATUS (not for a task that is gone)
until_status() {
	local i s
	for i in $(seq 1 "${3:-200}"); do
		s="$(task_status "$1")"
		[ "$s" = "$2" ] && return 0
		[ "$s" = none ] && return 1
		sleep 0.1
	done
	return 1
}
# rm_task ID: the task killed and deleted, the container removed; a task
# whose exit the shim never sees is left to the cleanup (its shim killed)
rm_task() {
	timeout 10 "$CTR" task kill -s SIGKILL "$1" >/dev/null 2>&1
	until_status "$1" STOPPED 50 >/dev/null 2>&1
	timeout 10 "$CTR" task delete -f "$1" >/dev/null 2>&1
	timeout 10 "$CTR" containers delete "$1" >/dev/null 2>&1
}
# new_id NAME: a container id of this test, remembered for the cleanup
new_id() { CTR_IDS="$CTR_IDS $TAG-$1"; echo "$TAG-$1"; }

start=$SECONDS
containerd --config "$C/config.toml" --log-level debug </dev/null >"$C/containerd.log" 2>&1 &
CONTAINERD_PID=$!
for i in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "FAIL: engines containerd: containerd did not start:"; tail -n 20 "$C/containerd.log"; exit 1; }
make_rootfs_tar && make_oci_archive || { echo "FAIL: engines containerd: cannot build the busybox image"; exit 1; }
t "$CTR" images import "$T/busybox-oci.tar"
[ $rc = 0 ] || { echo "FAIL: engines containerd: import: $out"; exit 1; }

scn_run_rm_exit() {
	local id; id="$(new_id "$1-rm")"
	t "$CTR" run --rm $(runopts "$1") "$IMG" "$id" sh -c 'echo out from run; exit 3'
	result "$1" "out from run, 3" "$out, $rc"
	[ "$(task_status "$id")" = none ] || rm_task "$id"
}

# The process sets a trap (and says so in a bind-mounted dir) before the
# kill, so the status is the process's own
scn_kill_delete() {
	local id krc s drc code; id="$(new_id "$1-kill")"
	mkdir -p "$T/kill-$1"
	t "$CTR" run -d $(runopts "$1") --mount "type=bind,src=$T/kill-$1,dst=/r,options=rbind:rw" "$IMG" "$id" \
		sh -c 'trap "exit 7" TERM; touch /r/trapped; sleep 1000 & wait'
	[ $rc = 0 ] || { result "$1" "kill 0, STOPPED, delete 0 (exit 7)" "run -d failed ($rc)"; return; }
	for i in $(seq 1 100); do [ -e "$T/kill-$1/trapped" ] && break; sleep 0.1; done
	t "$CTR" task kill "$id"; krc=$rc
	until_status "$id" STOPPED; s="$(task_status "$id")"
	# ctr task delete reports the exit status in a warning and exits 0
	t "$CTR" task delete "$id"; drc=$rc
	code="$(sed -n 's/.*exit with non-zero exit code \([0-9-]*\).*/\1/p' <<<"$out")"
	result "$1" "kill 0, STOPPED, delete 0 (exit 7)" "kill $krc, $s, delete $drc (exit ${code:-0})"
	rm_task "$id"
}

scn_task_exec() {
	t "$CTR" task exec --exec-id "exec-$RANDOM" "$TAG-$1-long" sh -c 'echo hi from exec; exit 4'
	result "$1" "hi from exec, 4" "$out, $rc"
}

scn_task_ps() {
	local pid listed=no; pid="$(task_pid "$TAG-$1-long")"
	t "$CTR" task ps "$TAG-$1-long"
	[ -n "$pid" ] && awk 'NR > 1 {print $1}' <<<"$out" | grep -qx "$pid" && listed=yes
	result "$1" "0, task pid listed yes" "$rc, task pid listed $listed"
}

scn_pause_resume() {
	local id="$TAG-$1-long" prc rrc s1 s2
	t "$CTR" task pause "$id"; prc=$rc; s1="$(task_status "$id")"
	t "$CTR" task resume "$id"; rrc=$rc; s2="$(task_status "$id")"
	result "$1" "0 PAUSED, 0 RUNNING" "$prc $s1, $rrc $s2"
}

scn_run_t() {
	local id; id="$(new_id "$1-tty")"
	t script -qec "$(q "$CTR" run -t --rm $(runopts "$1") "$IMG" "$id" sh -c '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; exit 6')" /dev/null </dev/null
	result "$1" "on-a-tty, 6" "$(printf '%s' "$out" | tr -d '\r' | grep -o on-a-tty), $rc"
	[ "$(task_status "$id")" = none ] || rm_task "$id"
}

each run_rm_exit
each kill_delete
for rt in $RUNTIMES; do
	id="$(new_id "$rt-long")"
	t "$CTR" run -d $(runopts "$rt") "$IMG" "$id" sleep 1000
	[ $rc = 0 ] || echo "containerd: run -d $id with $rt failed: $out"
done
each task_exec
each task_ps
each pause_resume
for rt in $RUNTIMES; do rm_task "$TAG-$rt-long"; done
each run_t
echo "engines containerd: took $((SECONDS - start)) s"
finish
