#!/bin/bash
# Runs every Tests/security/*.test.sh (the attacks of docs/security.md and
# the fault injection walk) and prints a summary. Exits non-zero when any
# fails. Needs root; each test skips with a reason otherwise.
#   BINDIR=.build/debug Tests/security/run.sh [NAME...]
set -u
cd "$(dirname "$0")/../.."
export BINDIR="${BINDIR:-.build/debug}"
passed=() failed=()
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(Tests/security/*.test.sh)
for t in "${tests[@]}"; do
	[ -e "$t" ] || t="Tests/security/$t.test.sh"
	[ -e "$t" ] || continue
	name="$(basename "$t" .test.sh)"
	echo "== security: $name"
	start=$SECONDS
	if timeout 900 bash "$t"; then passed+=("$name"); else failed+=("$name"); fi
	echo "== security: $name took $((SECONDS - start)) s"
done
echo "== security summary: ${#passed[@]} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ "${#failed[@]}" = 0 ]
