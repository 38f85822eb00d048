#!/bin/bash
# Docker 20.10 (Debian's docker.io) with each runtime added to a dockerd the
# test starts (`--add-runtime`, `docker run --runtime`), on a private socket,
# data root and exec root under $T, with its own containerd, no bridge and
# no iptables: the scenarios of issue 11 item 5 as a docker user meets them.
# See lib.sh for the output.
set -u
ENGINE=docker
source "$(dirname "$0")/lib.sh" || exit 1
# Debian's CLI, whatever else is first on PATH
DOCKER_CLI=/usr/bin/docker
for p in /usr/sbin/dockerd "$DOCKER_CLI" containerd containerd-shim-runc-v2; do
	command -v "$p" >/dev/null || { echo "FAIL: engines docker: $p not installed (Tests/engines/setup.sh)"; exit 1; }
done

D="$T/docker"
mkdir -p "$D/data" "$D/exec" "$D/cli"
# dockerd 20.10 writes a trust key to /etc/docker unless told where
printf '{"deprecated-key-path": "%s"}\n' "$D/key.json" > "$D/daemon.json"
# dockerd makes /run/docker/plugins whatever the exec root, and the shims'
# sockets go under /run/containerd: made by this test, they are removed with it
made_run="" made_rundocker=""
[ -e /run/containerd ] || made_run=1
[ -e /run/docker ] || made_rundocker=1
DOCKERD_PID=""

# $T/bin/docker: the CLI on the test's daemon (a program, for timeout)
mkdir -p "$T/bin"
printf '#!/bin/sh\nexport DOCKER_HOST=%q DOCKER_CONFIG=%q\nexec %q "$@"\n' "unix://$D/docker.sock" "$D/cli" "$DOCKER_CLI" > "$T/bin/docker"
chmod 0755 "$T/bin/docker"
DK="$T/bin/docker"
IMG=nest-busybox:latest
# run options for RUNTIME
runopts() { echo --runtime "$1" --network none; }

engine_cleanup() {
	local id
	if [ -n "$DOCKERD_PID" ]; then
		for id in $(timeout 10 "$DK" ps -aq 2>/dev/null); do
			timeout 15 "$DK" rm -f "$id" >/dev/null 2>&1
		done
		kill -TERM "$DOCKERD_PID" 2>/dev/null
		timeout 30 tail --pid="$DOCKERD_PID" -f /dev/null
		kill -KILL "$DOCKERD_PID" 2>/dev/null
	fi
	local p
	for p in $(procs_of_test); do kill -9 "$p" 2>/dev/null; done
	[ -z "$made_run" ] || rm -rf /run/containerd
	[ -z "$made_rundocker" ] || rm -rf /run/docker
}

# logs_show NAME TEXT: waits (bounded) until the container has printed TEXT
logs_show() {
	local i
	for i in $(seq 1 100); do
		timeout 10 "$DK" logs "$1" 2>/dev/null | grep -qx "$2" && return 0
		sleep 0.1
	done
	return 1
}
rm_ctr() { timeout 20 "$DK" rm -f "$1" >/dev/null 2>&1; }

start=$SECONDS
/usr/sbin/dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" \
	--pidfile "$D/docker.pid" -H "unix://$D/docker.sock" --bridge=none --iptables=false --ip6tables=false \
	--ip-forward=false --ip-masq=false --userland-proxy=false --storage-driver overlay2 \
	--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$TAG" \
	--add-runtime "crun=$T/rt/crun" --add-runtime "nest=$T/rt/nest" --log-level debug \
	</dev/null >"$D/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for i in $(seq 1 300); do timeout 5 "$DK" version >/dev/null 2>&1 && break; sleep 0.1; done
timeout 5 "$DK" version >/dev/null 2>&1 || { echo "FAIL: engines docker: dockerd did not start:"; tail -n 20 "$D/dockerd.log"; exit 1; }
make_rootfs_tar || { echo "FAIL: engines docker: cannot build the busybox rootfs"; exit 1; }
t "$DK" import "$T/busybox.tar" "$IMG"
[ $rc = 0 ] || { echo "FAIL: engines docker: import: $out"; exit 1; }

scn_run_rm() {
	t "$DK" run --rm $(runopts "$1") "$IMG" sh -c 'echo out from run; exit 3'
	result "$1" "out from run, 3" "$out, $rc"
}

scn_exec() {
	t "$DK" exec "$TAG-$1-long" sh -c 'echo hi from exec; exit 4'
	result "$1" "hi from exec, 4" "$out, $rc"
}

# The process sets a trap (and says so) before the stop, so its status is
# its own
scn_stop() {
	local c="$TAG-$1-stop" src
	t "$DK" run -d --name "$c" $(runopts "$1") "$IMG" sh -c 'trap "exit 7" TERM; echo trapped; sleep 1000 & wait'
	[ $rc = 0 ] || { result "$1" "stop 0, exit 7" "run -d failed ($rc)"; return; }
	logs_show "$c" trapped || { t "$DK" logs "$c"; result "$1" "stop 0, exit 7" "no trap set"; rm_ctr "$c"; return; }
	t "$DK" stop -t 30 "$c"; src=$rc
	t "$DK" inspect -f '{{.State.ExitCode}}' "$c"
	result "$1" "stop 0, exit 7" "stop $src, exit $out"
	rm_ctr "$c"
}

scn_pause() {
	local c="$TAG-$1-long" prc urc s1 s2
	t "$DK" pause "$c"; prc=$rc
	s1="$(timeout 10 "$DK" inspect -f '{{.State.Status}}' "$c" 2>/dev/null)"
	t "$DK" unpause "$c"; urc=$rc
	s2="$(timeout 10 "$DK" inspect -f '{{.State.Status}}' "$c" 2>/dev/null)"
	result "$1" "0 paused, 0 running" "$prc $s1, $urc $s2"
}

scn_top() {
	local listed=no
	t "$DK" top "$TAG-$1-long"
	grep -q 'sleep 1000' <<<"$out" && listed=yes
	result "$1" "0, sleep listed yes" "$rc, sleep listed $listed"
}

# Docker asks for cpu shares 0, meaning none: the container keeps the
# kernel's default weight (1024 shares on v1, weight 100 on v2)
scn_cpu_weight() {
	local pid d got="" exp
	pid="$(timeout 10 "$DK" inspect -f '{{.State.Pid}}' "$TAG-$1-long" 2>/dev/null)"
	d="$(cpu_cgroup "${pid:-0}")"
	if [ -f "$d/cpu.shares" ]; then got="shares $(cat "$d/cpu.shares")"; exp="shares 1024"
	elif [ -f "$d/cpu.weight" ]; then got="weight $(cat "$d/cpu.weight")"; exp="weight 100"
	else exp="shares 1024"; got="no cpu cgroup for pid ${pid:-none}"; fi
	result "$1" "$exp" "$got"
}

each run_rm
for rt in $RUNTIMES; do
	t "$DK" run -d --name "$TAG-$rt-long" $(runopts "$rt") "$IMG" sleep 1000
	[ $rc = 0 ] || echo "docker: run -d $TAG-$rt-long with $rt failed: $out"
done
each exec
each cpu_weight
each top
each pause
for rt in $RUNTIMES; do rm_ctr "$TAG-$rt-long"; done
each stop
echo "engines docker: took $((SECONDS - start)) s"
finish
