#!/bin/bash
# Tests of nest-monitor -n: network namespace files (needs root).
#   BINDIR=.build/debug Tests/c/netns-tests.sh
set -u
cd "$(dirname "$0")/../.."
BINDIR="${BINDIR:-.build/debug}"
case "$BINDIR" in /*) ;; *) BINDIR="$PWD/$BINDIR" ;; esac
M="$BINDIR/nest-monitor"

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 0; fi
[ -x "$M" ] || { echo "FAIL - $M not built (run make)"; exit 1; }

T="$(mktemp -d)"
trap 'umount -l "$T"/ns* 2>/dev/null; rm -rf "$T"' EXIT
fails=0 passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1: $2"; fails=$((fails + 1)); }
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2], got [$3]"; fi
}

"$M" -n make "$T/ns1"
check "make: exit 0" 0 $?
check "make: the file is an nsfs mount" nsfs "$(stat -f -c %T "$T/ns1" 2>&1)"
own="$(readlink /proc/self/ns/net)"
theirs="$(nsenter --net="$T/ns1" readlink /proc/self/ns/net)"
[ -n "$theirs" ] && [ "$theirs" != "$own" ] && ok "make: a namespace other than the caller's" || fail "make: a new namespace" "$own vs $theirs"
check "make: its loopback is up, its only link" "lo UP" \
	"$(nsenter --net="$T/ns1" ip -o link | awk -F': ' '{ split($3, f, ","); print $2, (index($3, "UP") ? "UP" : "DOWN") }')"
"$M" -n make "$T/ns2" && "$M" -n make "$T/ns3"
[ "$(nsenter --net="$T/ns2" readlink /proc/self/ns/net)" != "$(nsenter --net="$T/ns3" readlink /proc/self/ns/net)" ] \
	&& ok "make: one namespace per file" || fail "make: one namespace per file" "ns2 and ns3 are one"

err="$("$M" -n make "$T/ns1" 2>&1)"
check "make over an existing file: exit 1" 1 $?
case "$err" in *"File exists"*) ok "make over an existing file: says so" ;; *) fail "make over an existing file" "$err" ;; esac
check "make over an existing file: the namespace is kept" "$theirs" "$(nsenter --net="$T/ns1" readlink /proc/self/ns/net)"
"$M" -n make "$T/missing/ns" 2>/dev/null
check "make in a missing dir: exit 1" 1 $?
check "make in a missing dir: nothing made" "" "$(ls "$T/missing" 2>/dev/null)"
"$M" -n make relative 2>/dev/null
check "a relative path is a usage error" 2 $?

# a process in the namespace keeps it; the file goes
nsenter --net="$T/ns2" sleep 100 &
holder=$!
"$M" -n remove "$T/ns2"
check "remove: exit 0" 0 $?
[ -e "$T/ns2" ] && fail "remove: the file is gone" "still there" || ok "remove: the file is gone"
check "remove: no mount left at it" 0 "$(grep -c " $T/ns2 " /proc/self/mountinfo)"
kill "$holder"; wait "$holder" 2>/dev/null
"$M" -n remove "$T/ns2"
check "remove of a file that is gone: done already" 0 $?
"$M" -n remove "$T/ns1" && "$M" -n remove "$T/ns3"
check "every file removed" "" "$(ls "$T")"

echo "# $passes passed, $fails failed"
[ "$fails" = 0 ]
