#!/bin/sh
# The main job: builds Nest, starts nestd on a local socket and runs a
# container from a default busybox bundle through it, printing its output.
#   scripts/run.sh [ARGS...]   (default: sh -c 'echo hello from nest; uname -a')
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
[ "$(id -u)" = 0 ] || { echo "run: nestd needs root (namespaces, cgroups)" >&2; exit 1; }
scripts/setup.sh
BINDIR="$(scripts/build.sh release | tail -n 1)"
WORK="${NEST_WORK:-/tmp/nest-main}"
mkdir -p "$WORK"
BUNDLE="$WORK/bundle"
SOCK="$WORK/nestd.sock"
"$BINDIR/nestd" --socket "$SOCK" --root "$WORK/run" --data "$WORK/data" --log-level warning &
NESTD=$!
trap 'kill -TERM $NESTD 2>/dev/null; wait $NESTD 2>/dev/null || true' EXIT INT TERM
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
if [ $# -eq 0 ]; then set -- sh -c 'echo hello from nest: PID 1 is $(cat /proc/1/comm), host $(hostname)'; fi
NEST="$BINDIR/nest" scripts/mkbundle.sh "$BUNDLE" "$@" >/dev/null
"$BINDIR/nestctl" --socket "$SOCK" run --rm "$BUNDLE"
