# Shared scaffolding of the engine tests (Tests/engines/*.sh). Sourced by each
# engine's script after it sets ENGINE (podman, containerd, docker). Needs
# root (skips otherwise), the engine's programs (Tests/engines/setup.sh
# installs them), /bin/busybox and the built binaries in $BINDIR.
#
# Each assertion is made twice in a row, with crun (the reference: an engine
# quirk shows there too) and with nest, and printed as one line
#   ENGINE SCENARIO RUNTIME: PASS|FAIL (expected X, got Y)
# The script exits non-zero when a nest line fails; crun lines that fail are
# reported and counted but are the machine's business, not Nest's.
#
# Everything lives under $T: the engine's root, state and sockets, both
# runtimes' --root, the image. Every command an engine is given runs under
# `timeout` ($ENGINE_TIMEOUT, default 60 s), so a hang is a FAIL.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: engines $ENGINE: needs root"
	exit 0
fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BINDIR="${BINDIR:-$REPO/.build/debug}"
case "$BINDIR" in /*) ;; *) BINDIR="$REPO/$BINDIR" ;; esac
export NEST_LIBEXEC="${NEST_LIBEXEC:-$BINDIR}"
for f in "$BINDIR/nest" "$BINDIR/nest-monitor" /bin/busybox /usr/bin/crun /usr/bin/script; do
	[ -x "$f" ] || { echo "FAIL: engines $ENGINE: missing $f"; exit 1; }
done
TO="${ENGINE_TIMEOUT:-60}"
RUNTIMES="${ENGINE_RUNTIMES:-crun nest}"

T="$(mktemp -d "/tmp/nest-$ENGINE.XXXXXX")"
chmod 755 "$T"
TAG="nesteng$$"          # names of the test's containers, namespace, cgroups
nest_failures=0 crun_failures=0 passes=0

# Runtime wrappers the engines are pointed at: the real binary with a --root
# of its own under $T (so the test reads and removes only its own state; an
# engine's own --root, given later on the command line, wins as it would),
# logging each argv and keeping each bundle's config.json (ENGINE_KEEP=1
# keeps them) so a failure can be traced to what an engine asked for.
mkdir -p "$T/rt" "$T/rt-root/crun" "$T/rt-root/nest"
for rt in crun nest; do
	case $rt in crun) bin=/usr/bin/crun ;; nest) bin="$BINDIR/nest" ;; esac
	cat > "$T/rt/$rt" <<-EOF
	#!/bin/sh
	printf '%s\n' "\$*" >> "$T/rt/$rt.argv"
	prev=""
	for a in "\$@"; do
	    case "\$prev" in --bundle|-b) cp "\$a/config.json" "$T/rt/$rt.config.\$\$.json" 2>/dev/null ;; esac
	    prev="\$a"
	done
	export NEST_LIBEXEC="$NEST_LIBEXEC"
	exec "$bin" --root "$T/rt-root/$rt" "\$@"
	EOF
	chmod 0755 "$T/rt/$rt"
done

# t CMD...: CMD under the timeout, its stdout+stderr in $out, its status in
# $rc; ENGINE_TRACE=1 prints each command with the seconds it took
out="" rc=0
t() {
	local t0=$SECONDS
	out="$(timeout -k 5 "$TO" "$@" 2>&1)"
	rc=$?
	[ -z "${ENGINE_TRACE:-}" ] || echo "    [$((SECONDS - t0)) s, status $rc] $*" | cut -c1-200
	[ $rc != 124 ] || out="$out [timed out after ${TO} s]"
	return 0
}

# q ARGS...: ARGS quoted as one shell command line (for `script -c`)
q() { printf '%q ' "$@"; }

# result RUNTIME EXPECTED GOT: prints the current scenario's line, counts a
# failure (with the tail of the last command's output)
result() {
	local s="$SCN" r="$1" e="$2" g="$3"
	if [ "$e" = "$g" ]; then
		echo "$ENGINE $s $r: PASS (expected $e, got $g)"
		passes=$((passes + 1))
	else
		echo "$ENGINE $s $r: FAIL (expected $e, got $g)"
		case $r in nest) nest_failures=$((nest_failures + 1)) ;; *) crun_failures=$((crun_failures + 1)) ;; esac
		[ -z "${out:-}" ] || printf '%s\n' "$out" | tr -d '\r' | tail -n 5 | cut -c1-300 | sed 's/^/    | /'
	fi
}

# each SCENARIO: runs the function scn_SCENARIO with each runtime, crun
# first; result names the scenario SCENARIO with - for _
SCN=""
each() {
	local rt
	SCN="${1//_/-}"
	for rt in $RUNTIMES; do out=""; "scn_$1" "$rt"; done
}

# cpu_cgroup PID: the directory of PID's cgroup of the cpu controller (v1),
# else of its cgroup2 group
cpu_cgroup() {
	local line path d
	line="$(grep -E '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' "/proc/$1/cgroup" 2>/dev/null)"
	if [ -n "$line" ]; then
		path="${line#*:*:}"
		for d in /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup/cpu; do
			[ -d "$d$path" ] && { echo "$d$path"; return; }
		done
	else
		path="$(sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null)"
		[ -n "$path" ] && echo "/sys/fs/cgroup$path"
	fi
}

# The busybox image's root file system, as a tar at $T/busybox.tar: the rootfs
# of scripts/mkbundle.sh's bundle (no network: the engines import it)
make_rootfs_tar() {
	NEST="$BINDIR/nest" "$REPO/scripts/mkbundle.sh" "$T/bundle" >/dev/null || return 1
	tar -C "$T/bundle/rootfs" -cf "$T/busybox.tar" . || return 1
}

# Mounts under $T, deepest first (engines' overlay and shm mounts)
mounts_under_t() {
	awk -v t="$T/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r
}
# Processes whose command line mentions $T or $TAG (shims, conmon, inits)
procs_of_test() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		if grep -qF -e "$T/" -e "$TAG" "/proc/$p/cmdline" 2>/dev/null; then echo "$p"; fi
	done
}
# Cgroup dirs named after $TAG and all below them, deepest first (the engines
# are given cgroup parents or namespaces so named)
cgroups_of_test() {
	local top
	for top in $(find /sys/fs/cgroup -type d -name "*$TAG*" -prune 2>/dev/null); do
		find "$top" -depth -type d 2>/dev/null
	done
}

# The engine script's own teardown runs first (engine_cleanup, if defined);
# then whatever of the test's is left: processes, cgroups, mounts, $T
# (ENGINE_KEEP=1 keeps $T's files, the engines' logs, for a post-mortem).
base_cleanup() {
	local p c m
	for p in $(procs_of_test); do kill -9 "$p" 2>/dev/null; done
	sleep 0.3
	for c in $(cgroups_of_test); do
		[ -f "$c/cgroup.procs" ] && for p in $(cat "$c/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
		rmdir "$c" 2>/dev/null
	done
	for m in $(mounts_under_t); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	if [ -n "${ENGINE_KEEP:-}" ]; then echo "engines $ENGINE: kept $T"; else rm -rf "$T"; fi
}
trap 'declare -F engine_cleanup >/dev/null && engine_cleanup; base_cleanup' EXIT

# finish: the engine's summary; non-zero when a nest line failed
finish() {
	echo "engines $ENGINE: $passes passed, $((nest_failures + crun_failures)) failed (nest $nest_failures, crun $crun_failures)"
	[ "$nest_failures" = 0 ]
	exit $?
}
