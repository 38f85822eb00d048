#!/bin/bash
# Podman 4.3 rootless, run by a user of its own that the test makes (with
# subordinate ids, uidmap's newuidmap), with each runtime as its OCI runtime:
# the runtime runs as root of podman's user namespace, without the host's
# root, with no --root given (Nest's state goes to $XDG_RUNTIME_DIR/nest)
# and without cgroups it could make (skipped with a warning). See lib.sh for
# the output.
set -u
ENGINE=podman-rootless
source "$(dirname "$0")/lib.sh" || exit 1
command -v podman >/dev/null && command -v newuidmap >/dev/null ||
	{ echo "FAIL: engines $ENGINE: podman or uidmap not installed (Tests/engines/setup.sh)"; exit 1; }

# The test's user: removed at the end with its home and runtime dir
U="nrl${TAG#nesteng}"
U="${U:0:30}"
useradd -m -d "$T/home" -s /bin/sh "$U" || { echo "FAIL: engines $ENGINE: useradd $U"; exit 1; }
grep -q "^$U:" /etc/subuid || usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$U"
UID_="$(id -u "$U")"
RUNDIR="/run/user/$UID_"
made_rundir="" made_userdirs=""
[ -e /run/user ] || made_userdirs=1
[ -e "$RUNDIR" ] || { mkdir -p "$RUNDIR" && made_rundir=1; }
chown "$U:" "$RUNDIR" "$T/home"
chmod 700 "$RUNDIR"
engine_cleanup() {
	local rt
	for rt in $RUNTIMES; do as_user "$T/bin/podman-$rt" rm -a -f -t 0 >/dev/null 2>&1; done
	as_user podman --root "$T/home/store" --runroot "$RUNDIR/run" --storage-driver vfs unshare rm -rf "$T/home/store" >/dev/null 2>&1
	pkill -9 -u "$U" 2>/dev/null
	sleep 0.2
	userdel -r "$U" >/dev/null 2>&1 || userdel "$U" >/dev/null 2>&1
	[ -z "$made_rundir" ] || rm -rf "$RUNDIR"
	[ -z "$made_userdirs" ] || rmdir /run/user 2>/dev/null
}
# as_user CMD...: CMD as the test's user, with its runtime dir (a program,
# for timeout)
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec setpriv --reuid %s --regid %s --init-groups --reset-env env HOME=%q XDG_RUNTIME_DIR=%q PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"\n' \
	"$UID_" "$(id -g "$U")" "$T/home" "$RUNDIR" > "$T/bin/as-user"
chmod 0755 "$T/bin/as-user"
as_user() { "$T/bin/as-user" "$@"; }
# The runtimes as the user runs them: no --root (the runtime's default),
# each argv logged
mkdir -p "$T/bin" "$T/urt"
for rt in $RUNTIMES; do
	case $rt in crun) bin=/usr/bin/crun ;; nest) bin="$BINDIR/nest" ;; esac
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >> %q\nexport NEST_LIBEXEC=%q\nexec %q "$@"\n' \
		"$T/urt/$rt.argv" "$NEST_LIBEXEC" "$bin" > "$T/urt/$rt"
	printf '#!/bin/sh\nexec podman --root %q --runroot %q --tmpdir %q --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime %q "$@"\n' \
		"$T/home/store" "$RUNDIR/run" "$RUNDIR/tmp" "$T/urt/$rt" > "$T/bin/podman-$rt"
	chmod 0755 "$T/urt/$rt" "$T/bin/podman-$rt"
done
touch "$T/urt/crun.argv" "$T/urt/nest.argv"
chmod 0666 "$T/urt/"*.argv
chmod 0755 "$T" "$T/urt" "$T/bin"
IMG=localhost/nest-busybox:latest
RUN=(--network none)

make_rootfs_tar || { echo "FAIL: engines $ENGINE: cannot build the busybox rootfs"; exit 1; }
chmod 0644 "$T/busybox.tar"
t "$T/bin/as-user" "$T/bin/podman-crun" import "$T/busybox.tar" "$IMG"
[ $rc = 0 ] || { echo "FAIL: engines $ENGINE: import: $out"; exit 1; }

scn_run_rm_exit() {
	t "$T/bin/as-user" "$T/bin/podman-$1" run --rm "${RUN[@]}" "$IMG" sh -c 'id -u; exit 3'
	result "$1" "0, 3" "$(printf '%s' "$out" | grep -x 0 | head -1), $rc"
}

scn_state_under_xdg() {
	local c="$TAG-$1-xdg" dir
	case $1 in crun) dir="$RUNDIR/crun" ;; nest) dir="$RUNDIR/nest" ;; esac
	t "$T/bin/as-user" "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" "$IMG" sleep 1000
	local id="$out" there=no
	[ -n "$id" ] && [ -d "$dir/$id" ] && there=yes
	t "$T/bin/as-user" "$T/bin/podman-$1" stop -t 1 "$c"
	result "$1" "state in $dir yes, stop 0" "state in $dir $there, stop $rc"
	as_user "$T/bin/podman-$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

scn_stop_exit() {
	local c="$TAG-$1-stop"
	t "$T/bin/as-user" "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" "$IMG" sh -c 'trap "exit 7" TERM; echo trapped; sleep 1000 & wait'
	[ $rc = 0 ] || { result "$1" 7 "run -d failed ($rc)"; return; }
	local i
	for i in $(seq 1 100); do as_user "$T/bin/podman-$1" logs "$c" 2>/dev/null | grep -qx trapped && break; sleep 0.1; done
	t "$T/bin/as-user" "$T/bin/podman-$1" stop -t 30 "$c"
	t "$T/bin/as-user" "$T/bin/podman-$1" inspect -f '{{.State.ExitCode}}' "$c"
	result "$1" 7 "$out"
	as_user "$T/bin/podman-$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

scn_exec() {
	local c="$TAG-$1-exec"
	t "$T/bin/as-user" "$T/bin/podman-$1" run -d --name "$c" "${RUN[@]}" "$IMG" sleep 1000
	t "$T/bin/as-user" "$T/bin/podman-$1" exec "$c" sh -c 'echo hi from exec; exit 4'
	result "$1" "hi from exec, 4" "$out, $rc"
	as_user "$T/bin/podman-$1" rm -f -t 0 "$c" >/dev/null 2>&1
}

start=$SECONDS
each run_rm_exit
each state_under_xdg
each stop_exit
each exec
echo "engines $ENGINE: $((SECONDS - start)) s"
finish
