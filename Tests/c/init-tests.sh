#!/bin/bash
# Tests of nest-init as PID 1 of a new PID namespace (needs root).
#   BINDIR=.build/debug Tests/c/init-tests.sh
set -u
cd "$(dirname "$0")/../.."
BINDIR="${BINDIR:-.build/debug}"
case "$BINDIR" in /*) ;; *) BINDIR="$PWD/$BINDIR" ;; esac
NI="$BINDIR/nest-init"
BB=/bin/busybox

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 0; fi
[ -x "$NI" ] || { echo "FAIL - $NI not built (run make)"; exit 1; }
[ -x "$BB" ] || { echo "FAIL - $BB missing"; exit 1; }

T="$(mktemp -d)"
trap 'umount -l "$T/ro" 2>/dev/null; rm -rf "$T"' EXIT
fails=0 passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1: $2"; fails=$((fails + 1)); }
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2], got [$3]"; fi
}
ns() { timeout 20 unshare --pid --fork --mount-proc "$@"; }
# bg CMD...: runs nest-init in a new PID namespace in the background; $! is unshare.
bg() { unshare --pid --fork --mount-proc "$@" & }
# Prints the number of zombies in the current /proc (inside the namespace).
ZOMBIES="$BB cat /proc/[0-9]*/stat 2>/dev/null | $BB awk '{ sub(/.*\\) /, \"\"); if (\$1 == \"Z\") n++ } END { print n + 0 }'"

# wait_child UNSHARE_PID: sets INIT (host pid of nest-init) and CHILD (its
# child, once it has exec'd something other than nest-init).
# Checks that INIT really is nest-init, so a mistake cannot pass by signalling
# unshare instead.
wait_child() {
	INIT= CHILD=
	for _ in $(seq 200); do
		INIT="$(pgrep -P "$1" | head -1)"
		if [ -n "$INIT" ] && [ "$(cat /proc/"$INIT"/comm 2>/dev/null)" = nest-init ]; then
			CHILD="$(pgrep -P "$INIT" | head -1)"
			if [ -n "$CHILD" ] && [ "$(cat /proc/"$CHILD"/comm 2>/dev/null)" != nest-init ]; then
				return 0
			fi
		fi
		sleep 0.02
	done
	return 1
}
# wait_exit PID: sets RC to PID's exit status, or to "timeout" after 5s (and
# then kills the namespace).
wait_exit() {
	for _ in $(seq 250); do kill -0 "$1" 2>/dev/null || break; sleep 0.02; done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$INIT" 2>/dev/null; wait "$1"; RC=timeout
	else wait "$1"; RC=$?; fi
}
wait_file() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.02; done; return 1; }

# (a) /proc/1/comm, also when run from an fd (comm would be "3").
check "comm by path" nest-init "$(ns "$NI" -- $BB cat /proc/1/comm)"
check "comm from an fd" nest-init "$(ns /dev/fd/3 -- $BB cat /proc/1/comm 3<"$NI")"
check "exe from an fd is nest-init" "$(readlink -f "$NI")" \
	"$(ns /dev/fd/3 -- $BB sh -c 'readlink /proc/1/exe' 3<"$NI")"

# (b) exit status pass-through.
ns "$NI" -- $BB sh -c 'exit 7'; check "exit 7" 7 $?
ns "$NI" -- $BB true; check "exit 0" 0 $?
ns "$NI" -- $BB sh -c 'kill -SEGV $$'; check "child killed by SEGV" 139 $?

# (c) signals.
bg "$NI" -- $BB sh -c "trap 'exit 3' TERM; : > $T/ready; while :; do $BB sleep 0.05; done"
u=$!
if wait_file "$T/ready" && wait_child $u; then
	kill -TERM "$INIT"; wait_exit $u; check "TERM to nest-init reaches a trapping child" 3 "$RC"
else fail "TERM trap" "child did not start"; kill $u; wait $u; fi

bg "$NI" -- $BB sleep 30
u=$!
if wait_child $u; then
	kill -TERM "$INIT"; wait_exit $u; check "child killed by TERM" 143 "$RC"
else fail "TERM" "child did not start"; kill $u; wait $u; fi

bg "$NI" -- $BB sleep 30
u=$!
if wait_child $u; then
	kill -KILL "$CHILD"; wait_exit $u; check "child killed by KILL" 137 "$RC"
else fail "KILL" "child did not start"; kill $u; wait $u; fi

for s in HUP INT USR1 USR2 QUIT WINCH; do
	out="$(ns "$NI" -- $BB sh -c "trap 'echo got $s; exit 0' $s; kill -$s 1; $BB sleep 2 & wait")"
	check "SIG$s sent to PID 1 from inside is forwarded" "got $s" "$out"
done

# (d) orphans are reaped.
out="$(ns "$NI" -- $BB sh -c "($BB sleep 0.2 &); ($BB sleep 0.2 &); $BB sleep 1; $ZOMBIES; $BB ps -o stat,pid | $BB awk 'NR>1 && \$1 ~ /Z/' ")"
check "orphans reaped" 0 "$out"

# (e) a make -j4 like tree: subshells that leave children behind and exit.
out="$(ns "$NI" -- $BB sh -c "
	for i in 1 2 3 4; do
		( for j in 1 2 3; do ( $BB sleep 0.1; exit \$j ) & done; $BB sleep 0.05 ) &
	done
	$BB sleep 0.1; $BB sh -c 'exit 1' & $BB sleep 0.6
	$ZOMBIES")"
check "make -j4 tree: no zombies" 0 "$out"
ns "$NI" -- $BB sh -c "for i in 1 2 3 4; do ($BB sleep 0.3 &) ; done; exit 5"
check "status of the main child while orphans still run" 5 $?

# Not PID 1: nest-init is a subreaper for the orphans of its child.
out="$("$NI" -- $BB sh -c "($BB sleep 0.5 & echo \$! > $T/orphan); $BB sleep 0.1
	read o < $T/orphan; read l < /proc/\$o/stat; set -- \${l##*) }; [ \$2 = \$PPID ] && echo subreaper")"
check "subreaper when not PID 1" subreaper "$out"

# (f) exec failures.
err="$(ns "$NI" -- /nonexistent/prog 2>&1)"; rc=$?
check "exec failure: status" 127 $rc
check "exec failure: message" "nest-init: exec /nonexistent/prog: No such file or directory" "$err"
err="$(ns "$NI" -- nest-no-such-program 2>&1)"; rc=$?
check "PATH lookup failure" "127 nest-init: exec nest-no-such-program: No such file or directory" "$rc $err"
err="$(ns "$NI" -- /etc/passwd 2>&1)"; rc=$?
check "not executable" "126 nest-init: exec /etc/passwd: Permission denied" "$rc $err"
"$NI" 2>/dev/null; check "no program: usage" 2 $?
"$NI" --bogus -- true 2>/dev/null; check "unknown option" 2 $?

# (g) no files written: a read-only root holding only busybox and nest-init.
mkdir -p "$T/ro/bin" "$T/ro/proc"
cp "$BB" "$T/ro/bin/busybox"; cp "$NI" "$T/ro/bin/nest-init"
ln -s busybox "$T/ro/bin/sh"
out="$(timeout 20 unshare --mount sh -c "
	mount --bind '$T/ro' '$T/ro' && mount -o remount,bind,ro '$T/ro' &&
	unshare --pid --fork --mount-proc=/proc --root='$T/ro' /bin/nest-init -- \
		/bin/busybox sh -c '/bin/busybox touch /x && echo writable; exit 9'" 2>&1)"
check "read-only root: runs and passes the status" "9 touch: /x: Read-only file system" "$? $out"
if command -v strace >/dev/null; then
	strace -qq -o "$T/trace" -e trace=%file,%desc "$NI" -- $BB sh -c 'exit 0'
	bad="$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|(^|[^a-z])(creat|mkdir|mkdirat|unlink|unlinkat|rename|renameat2?|f?truncate|link|linkat|symlink|symlinkat|mknod|mknodat|f?chmod|fchmodat|f?chown|fchownat|l?setxattr)\(' "$T/trace")"
	check "no file opened for writing (strace)" "" "$bad"
else
	echo "skip: no file opened for writing (strace is not installed)"
fi

echo "init-tests: $passes passed, $fails failed"
[ "$fails" = 0 ]
