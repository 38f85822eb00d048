#!/bin/bash
# Runs every Tests/c/*-tests.sh against the C programs in $BINDIR
# (default .build/debug, relative to the repository) and prints a summary.
# Exits non-zero when any test script fails.
set -u
cd "$(dirname "$0")/../.."
BINDIR="${BINDIR:-.build/debug}"
case "$BINDIR" in /*) ;; *) BINDIR="$PWD/$BINDIR" ;; esac
export BINDIR

passed=() failed=()
for t in Tests/c/*-tests.sh; do
	[ -e "$t" ] || continue
	name="$(basename "$t" .sh)"
	echo "== $name"
	if bash "$t"; then passed+=("$name"); else failed+=("$name"); fi
done

echo "== summary: ${#passed[@]} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ "${#failed[@]}" = 0 ]
