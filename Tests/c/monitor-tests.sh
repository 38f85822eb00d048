#!/bin/bash
# Tests of nest-monitor against hand-written launch plans (docs/launch-plan.md).
#   BINDIR=.build/debug Tests/c/monitor-tests.sh
# Needs root, /bin/busybox (busybox-static) and nest-init + nest-monitor in
# BINDIR. Leaves no files, mounts, cgroups or processes behind.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 0
fi
cd "$(dirname "$0")/../.."
BINDIR="${BINDIR:-.build/debug}"
BINDIR="$(cd "$BINDIR" && pwd)"
MON="$BINDIR/nest-monitor"
INIT="$BINDIR/nest-init"
for f in "$MON" "$INIT" /bin/busybox; do
	[ -x "$f" ] || { echo "FAIL: missing $f"; exit 1; }
done

T="$(mktemp -d /tmp/nest-monitor-tests.XXXXXX)"
chmod 755 "$T" # the user-namespace test maps root to 100000
R="$T/rootfs"
S="$T/state"
CG=""
cleanup() {
	for p in $(grep -l "$T/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
		[ "$p" != $$ ] && kill -9 "$p" 2>/dev/null
	done
	sleep 0.2
	for c in $CG; do rmdir "$c" 2>/dev/null; done
	if grep -q " $T" /proc/self/mountinfo; then
		echo "FAIL: mounts left under $T"
		grep " $T" /proc/self/mountinfo
		awk -v t="$T" '$5 ~ "^"t {print $5}' /proc/self/mountinfo | sort -r |
			while read -r m; do umount -l "$m"; done
		status=1
	fi
	rm -rf "$T"
}
trap 'cleanup; exit $status' EXIT
status=0
failures=0

mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/etc" "$R/tmp" "$R/data"
cp /bin/busybox "$R/bin/"
for c in sh echo cat id hostname sleep ls mkdir touch grep tr chmod wc kill \
	readlink stat ps uptime head; do
	ln -s busybox "$R/bin/$c"
done

# t KIND FIELDS...: one plan record, fields escaped (\\ \t \n)
t() {
	local out="" f sep=""
	for f in "$@"; do
		f=${f//\\/\\\\}
		f=${f//$'\t'/\\t}
		f=${f//$'\n'/\\n}
		out+="$sep$f"
		sep=$'\t'
	done
	printf '%s\n' "$out"
}

# The records every test shares; the test appends its own.
base() {
	t version 1
	t id "mon-$1"
	t state-dir "$S"
	t sync-fd 3
	t status-file "$S/status"
	t pid-file "$S/pid"
	if [ -n "${STDIO_INHERIT:-}" ]; then t stdio inherit; else t stdio log "$S/log"; fi
	t rootfs "$R"
	for n in pid network mount ipc uts; do t namespace $n -; done
	t mount /proc proc proc e 0 ""
	t mount /dev tmpfs tmpfs 1000002 0 mode=755,size=65536k
	t mount /dev/pts devpts devpts a 0 newinstance,ptmxmode=0666,mode=0620
	t mount /sys sysfs sysfs f 0 ""
	t device /dev/null c 1 3 666 0 0
	t device /dev/zero c 1 5 666 0 0
	t symlink /proc/self/fd /dev/fd
	t symlink pts/ptmx /dev/ptmx
	t env PATH=/bin
	t cwd /
	# Without an init record the container's PID 1 runs nest-init's loop
	# itself (what the runtime writes); EXEC_INIT=1 tests the exec'd one.
	[ -n "${EXEC_INIT:-}" ] && t init "$INIT"
	return 0
}

# run NAME [timeout]: runs $S/plan; sets rc, and the files in $S.
run() {
	timeout "${2:-20}" "$MON" "$S/plan" 3>"$S/sync"
	rc=$?
}

fresh() { rm -rf "$S"; mkdir -p "$S"; }
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; failures=$((failures + 1)); }
expect_log() { # NAME PATTERN
	if grep -qE -- "$2" "$S/log" 2>/dev/null; then ok "$1"; else
		bad "$1 (no /$2/ in log)"; cat "$S/log" 2>/dev/null; cat "$S/sync"; fi
}
expect_status() { # NAME CODE
	if grep -q "\"exitCode\":$2," "$S/status" 2>/dev/null; then ok "$1"; else
		bad "$1 (status: $(cat "$S/status" 2>&1); sync: $(cat "$S/sync"))"; fi
}
sh_args() { t arg sh; t arg -c; t arg "$1"; }
# The sync fd's error record: error STEP PATH ERRNO ERRNAME MESSAGE
# (TAB-separated); sync_field N prints field N, sync_msg the message.
sync_field() { grep '^error' "$S/sync" | cut -f"$1"; }
sync_msg() { sync_field 6; }
expect_error() { # NAME STEP PATH ERRNAME: the record's step, path and errno name
	local got
	got="$(sync_field 2-3,5)"
	if [ "$got" = "$2"$'\t'"$3"$'\t'"$4" ]; then ok "$1"; else bad "$1 (record: $(cat "$S/sync"))"; fi
}

. "$(dirname "$0")/monitor-tests-cases.sh"
. "$(dirname "$0")/monitor-tests-exec.sh"
. "$(dirname "$0")/monitor-tests-overlay.sh"
. "$(dirname "$0")/monitor-tests-memory.sh"

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	status=1
else
	echo "all monitor tests passed"
fi
