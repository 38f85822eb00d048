# Shared scaffolding of the security and fault tests (Tests/security/*.test.sh).
# Sourced by each test; needs root (skips otherwise), /bin/busybox and the
# built binaries in $BINDIR. Every test works in its own temporary directory,
# with its own --root, ids and cgroups (named after $NS_TAG), and leaves none
# of them behind: processes, mounts, cgroup dirs, state and data dirs.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $(basename "$0"): needs root"
	exit 0
fi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BINDIR="${BINDIR:-$REPO/.build/debug}"
case "$BINDIR" in /*) ;; *) BINDIR="$REPO/$BINDIR" ;; esac
export NEST_LIBEXEC="${NEST_LIBEXEC:-$BINDIR}"
for f in "$BINDIR/nest" "$BINDIR/nestd" "$BINDIR/nestctl" "$BINDIR/nest-monitor" /bin/busybox; do
	[ -x "$f" ] || { echo "FAIL: missing $f"; exit 1; }
done

T="$(mktemp -d /tmp/nest-sec.XXXXXX)"
chmod 755 "$T"
ROOT="$T/run"            # nest --root
NS_TAG="nsec$$"          # prefix of every id and cgroup a test makes
SOCK="$T/nestd.sock"
NESTD_PID=""
failures=0
status=0

nest() { "$BINDIR/nest" --root "$ROOT" "$@"; }
nestctl() { "$BINDIR/nestctl" --socket "$SOCK" "$@"; }
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; failures=$((failures + 1)); }
# check NAME COMMAND...: ok when COMMAND succeeds
check() { local n="$1"; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }

# bundle DIR [ARGS...]: a busybox bundle (scripts/mkbundle.sh) at $T/DIR,
# its path printed
bundle() {
	local d="$T/$1"; shift
	NEST="$BINDIR/nest" "$REPO/scripts/mkbundle.sh" "$d" "$@" >/dev/null || return 1
	echo "$d"
}
# jqset BUNDLE FILTER [jq args...]: edits BUNDLE/config.json in place
jqset() {
	local b="$1" f="$2"; shift 2
	jq "$@" "$f" "$b/config.json" > "$b/config.json.new" && mv -f "$b/config.json.new" "$b/config.json"
}

# start_nestd [ARGS...]: a nestd of this test on $SOCK ($T/droot, $T/data)
start_nestd() {
	"$BINDIR/nestd" --socket "$SOCK" --root "$T/droot" --data "$T/data" --log-level warning "$@" \
		</dev/null >>"$T/nestd.log" 2>&1 &
	NESTD_PID=$!
	local i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$SOCK" ] || { bad "nestd did not start: $(cat "$T/nestd.log")"; return 1; }
}
stop_nestd() {
	[ -n "$NESTD_PID" ] || return 0
	kill -TERM "$NESTD_PID" 2>/dev/null
	wait "$NESTD_PID" 2>/dev/null
	NESTD_PID=""
	rm -f "$SOCK"
}

# Processes whose command line or cwd or root mentions $T (monitors, inits)
procs_of_test() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		if grep -qF "$T/" "/proc/$p/cmdline" 2>/dev/null || grep -qF "$NS_TAG" "/proc/$p/cmdline" 2>/dev/null; then
			echo "$p"
		fi
	done
}
# cgroup dirs named after $NS_TAG or after a container of this test's roots
# (nestd names a container's cgroup after its generated id), deepest first
TEST_IDS=""
cgroups_of_test() {
	local id
	{
		find /sys/fs/cgroup -depth -type d -name "*$NS_TAG*" 2>/dev/null
		for id in $TEST_IDS; do find /sys/fs/cgroup -depth -type d -name "$id" 2>/dev/null; done
	} | awk '!seen[$0]++'
}
mounts_of_test() {
	awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r
}

cleanup() {
	local id
	stop_nestd
	# what a test left is deleted as a user would; only what Nest then
	# leaves behind is a failure (containers outlive nestd, so its root too)
	local r
	for r in "$ROOT" "$T/droot"; do
		[ -d "$r" ] || continue
		for id in $(ls "$r" 2>/dev/null); do
			TEST_IDS="$TEST_IDS $id"
			"$BINDIR/nest" --root "$r" delete -f "$id" >/dev/null 2>&1
		done
	done
	for p in $(procs_of_test); do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	for c in $(cgroups_of_test); do
		# a cgroup of a test's container that survived is a leak
		echo "FAIL: cgroup left: $c"; status=1
		[ -f "$c/cgroup.procs" ] && for p in $(cat "$c/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
		rmdir "$c" 2>/dev/null
	done
	local m
	for m in $(mounts_of_test); do
		echo "FAIL: mount left: $m"; status=1
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$T"
}
trap 'cleanup; exit $status' EXIT

# finish: the test's summary and exit status
finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$(basename "$0"): $failures failure(s)"
		status=1
	else
		echo "$(basename "$0"): all passed"
	fi
	exit $status
}
