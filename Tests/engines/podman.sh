#!/bin/bash
# Podman 4.3 (Debian's) with each runtime as its OCI runtime (--runtime),
# through conmon, on a store of its own under $T: the scenarios of issue 11
# item 5 as a podman user meets them. See lib.sh for the output.
set -u
ENGINE=podman
source "$(dirname "$0")/lib.sh" || exit 1
command -v podman >/dev/null || { echo "FAIL: engines podman: podman not installed (Tests/engines/setup.sh)"; exit 1; }

P="$T/podman"
mkdir -p "$P/root" "$P/runroot" "$P/tmp" "$P/net"
# Private configuration: no system containers.conf or storage.conf is read,
# events go to a file, no systemd, no network backend. Rootful podman asks
# for 1048576 open files and processes, more than a root without
# CAP_SYS_RESOURCE (as in some sandboxes) may set: the open files limit in
# force is asked for instead, and 32768 processes (podman lowers its own
# limit to that before it starts conmon).
nofile="$(ulimit -Hn)" nproc="$(ulimit -Hu)"
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
cat > "$P/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
[network]
network_config_dir = "$P/net"
EOF
cat > "$P/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$P/root"
runroot = "$P/runroot"
EOF
export CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf"
# The same settings as flags too: conmon starts `podman container cleanup`
# (exit codes, --rm, restart policies) with the flags of the podman that
# created the container.
PODMAN=(podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" --storage-driver overlay
	--cgroup-manager cgroupfs --events-backend file --network-config-dir "$P/net")
# $T/bin/podman-RUNTIME: podman with that runtime (a program, for timeout
# and script); pod RUNTIME ARGS... runs it
mkdir -p "$T/bin"
for rt in $RUNTIMES; do
	{ echo '#!/bin/sh'; printf 'export CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q\n' "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF"
	  printf 'exec'; printf ' %q' "${PODMAN[@]}" --runtime "$T/rt/$rt"; echo ' "$@"'; } > "$T/bin/podman-$rt"
	chmod 0755 "$T/bin/podman-$rt"
done
pod() { local rt="$1"; shift; "$T/bin/podman-$rt" "$@"; }
IMG=localhost/nest-busybox:latest
RUN=(--network none --cgroup-parent "/$TAG")

# Importing writes c/image's blob cache under /var/lib/containers whatever
# the store: removed afterwards if this test made it
made_cache=""
[ -e /var/lib/containers ] || made_cache=1
engine_cleanup() {
	local rt
	[ -z "$made_cache" ] || rm -rf /var/lib/containers
	for rt in $RUNTIMES; do timeout 60 "${PODMAN[@]}" --runtime "$T/rt/$rt" rm -a -f -t 0 >/dev/null 2>&1; done
	# podman keeps its store's overlay mounted; base_cleanup unmounts it
}

# logs_show RUNTIME NAME TEXT: waits (bounded) until the container has
# printed TEXT, so a signal is not sent before the process set its trap
logs_show() {
	local i
	for i in $(seq 1 100); do
		timeout 10 "$T/bin/podman-$1" logs "$2" 2>/dev/null | grep -qx "$3" && return 0
		sleep 0.1
	done
	return 1
}
# gone NAME_OR_ID: waits (bounded, 30 s) until no process names it (conmon,
# podman container cleanup): the container's exit has been handled
gone() {
	local i p busy
	for i in $(seq 1 300); do
		busy=""
		for p in /proc/[0-9]*; do grep -qF "$1" "$p/cmdline" 2>/dev/null && { busy=1; break; }; done
		[ -z "$busy" ] && return 0
		sleep 0.1
	done
	return 1
}
# cpu_quota PID: the CFS quota (µs per 100 ms period) of PID's cgroup
cpu_quota() {
	local d; d="$(cpu_cgroup "$1")"
	if [ -f "$d/cpu.cfs_quota_us" ]; then cat "$d/cpu.cfs_quota_us"; else cut -d' ' -f1 "$d/cpu.max" 2>/dev/null; fi
}

start=$SECONDS
make_rootfs_tar || { echo "FAIL: engines podman: cannot build the busybox rootfs"; exit 1; }
t "${PODMAN[@]}" import "$T/busybox.tar" "$IMG"
[ $rc = 0 ] || { echo "FAIL: engines podman: import: $out"; exit 1; }

scn_run_rm_exit() {
	t "$T/bin/podman-$1" run --rm "${RUN[@]}" "$IMG" sh -c 'exit 3'
	result "$1" 3 "$rc"
}

scn_stop_exit() {
	local c="$TAG-$1-stop"
	t "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" "$IMG" sh -c 'trap "exit 7" TERM; echo trapped; sleep 1000 & wait'
	[ $rc = 0 ] || { result "$1" 7 "run -d failed ($rc)"; return; }
	logs_show "$1" "$c" trapped || { t "$T/bin/podman-$1" logs "$c"; result "$1" 7 "no trap set"; pod "$1" rm -f -t 0 "$c" >/dev/null 2>&1; return; }
	t "$T/bin/podman-$1" stop -t 30 "$c"
	local src=$rc
	t "$T/bin/podman-$1" inspect -f '{{.State.ExitCode}}' "$c"
	result "$1" "stop 0, exit 7" "stop $src, exit $out"
	pod "$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

scn_wait() {
	local c="$TAG-$1-wait"
	t "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" "$IMG" sh -c 'sleep 1; exit 5'
	[ $rc = 0 ] || { result "$1" 5 "run -d failed ($rc)"; return; }
	t "$T/bin/podman-$1" wait "$c"
	result "$1" 5 "$out"
	pod "$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

scn_exec() {
	t "$T/bin/podman-$1" exec "$TAG-$1-long" sh -c 'echo hi from exec; exit 4'
	result "$1" "hi from exec, 4" "$out, $rc"
}

# With a terminal, podman can lose what a process printed just before it
# exited (crun too, now and then: conmon drains the pty after the exit):
# the process lingers a second after printing.
scn_exec_it() {
	t script -qec "$(q "$T/bin/podman-$1" exec -it "$TAG-$1-long" sh -c '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; sleep 1; exit 6')" /dev/null </dev/null
	result "$1" "on-a-tty, 6" "$(printf '%s' "$out" | tr -d '\r' | grep -o on-a-tty), $rc"
}

scn_run_it() {
	t script -qec "$(q "$T/bin/podman-$1" run -it --rm "${RUN[@]}" "$IMG" sh -c '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; sleep 1; exit 6')" /dev/null </dev/null
	result "$1" "on-a-tty, 6" "$(printf '%s' "$out" | tr -d '\r' | grep -o on-a-tty), $rc"
}

scn_top() {
	t "$T/bin/podman-$1" top "$TAG-$1-long"
	local listed=no
	grep -q 'sleep 1000' <<<"$out" && listed=yes
	result "$1" "0, sleep listed yes" "$rc, sleep listed $listed"
}

scn_update_cpus() {
	local c="$TAG-$1-long" pid
	t "$T/bin/podman-$1" update --cpus 0.5 "$c"
	local urc=$rc
	pid="$(pod "$1" inspect -f '{{.State.Pid}}' "$c" 2>/dev/null)"
	result "$1" "0, quota 50000" "$urc, quota $(cpu_quota "${pid:-0}")"
}

scn_pause() {
	local c="$TAG-$1-long" s1 s2 prc urc
	t "$T/bin/podman-$1" pause "$c"; prc=$rc
	s1="$(pod "$1" inspect -f '{{.State.Status}}' "$c" 2>/dev/null)"
	t "$T/bin/podman-$1" unpause "$c"; urc=$rc
	s2="$(pod "$1" inspect -f '{{.State.Status}}' "$c" 2>/dev/null)"
	result "$1" "0 paused, 0 running" "$prc $s1, $urc $s2"
}

scn_preserve_fds() {
	echo "fd-token-$TAG" > "$T/fd3"
	t "$T/bin/podman-$1" run --rm "${RUN[@]}" --preserve-fds 1 "$IMG" sh -c 'cat <&3' 3<"$T/fd3"
	result "$1" "fd-token-$TAG, 0" "$out, $rc"
}

# A check that passes once and then fails: each run is an exec in the
# container, its status the healthcheck's
scn_healthcheck() {
	local c="$TAG-$1-health" r1 r2
	t "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" --health-cmd 'test ! -e /tmp/checked && touch /tmp/checked' \
		--health-interval disable --health-retries 1 "$IMG" sleep 1000
	[ $rc = 0 ] || { result "$1" "first 0, second 1" "run -d failed ($rc)"; return; }
	t "$T/bin/podman-$1" healthcheck run "$c"; r1=$rc
	t "$T/bin/podman-$1" healthcheck run "$c"; r2=$rc
	result "$1" "first 0, second 1" "first $r1, second $r2"
	pod "$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

# The container appends a line to a host file at each start
scn_restart_on_failure() {
	local c="$TAG-$1-restart" id runs
	mkdir -p "$T/restart-$1"
	t "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" --restart on-failure -v "$T/restart-$1:/r" "$IMG" sh -c 'echo start >> /r/log; exit 0'
	[ $rc = 0 ] || { result "$1" "exit 0, starts 1, restarts 0" "run -d failed ($rc)"; return; }
	id="$out"
	t "$T/bin/podman-$1" wait "$c"
	local code="$out"
	gone "$id" || true
	runs="$(wc -l < "$T/restart-$1/log" 2>/dev/null || echo 0)"
	result "$1" "exit 0, starts 1, restarts 0" "exit $code, starts $runs, restarts $(pod "$1" inspect -f '{{.RestartCount}}' "$c" 2>/dev/null)"
	pod "$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

each run_rm_exit
each stop_exit
each wait
# one long-running container per runtime for exec, top, update, pause
for rt in $RUNTIMES; do
	t "$T/bin/podman-$rt" run -d --name "$TAG-$rt-long" "${RUN[@]}" "$IMG" sleep 1000
	[ $rc = 0 ] || echo "podman: run -d $TAG-$rt-long with $rt failed: $out"
done
each exec
each exec_it
each top
each update_cpus
each pause
for rt in $RUNTIMES; do pod "$rt" rm -f -t 0 "$TAG-$rt-long" >/dev/null 2>&1; done
each run_it
each preserve_fds
each healthcheck
each restart_on_failure
echo "engines podman: took $((SECONDS - start)) s"
finish
