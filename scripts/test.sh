#!/bin/sh
# Sets up, builds and runs every test of Nest. Tests that need root skip with
# a printed reason when not run as root.
#   scripts/test.sh              every stage (what CI runs)
#   scripts/test.sh --only S...  only the named stages
#   scripts/test.sh --engines    the engines stage alone (--only engines)
# Stages: c (the C programs), swift (XCTest), security (Tests/security: the
# attacks and the fault-injection walk), fuzz (bounded fuzzing runs), load
# (thousands of containers through nestd, checked for leaks), engines
# (podman, containerd and Docker running containers with nest, against crun;
# installs the engines from Debian).
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
STAGES="c swift security fuzz load engines"
if [ "${1:-}" = --only ]; then shift; STAGES="$*"; fi
if [ "${1:-}" = --engines ]; then STAGES=engines; fi
if [ "$(id -u)" = 0 ]; then scripts/setup.sh; else echo "test: not root, skipping package setup"; fi
BINDIR="$(scripts/build.sh debug | tail -n 1)"
export BINDIR
swift build --build-tests
status=0
for s in $STAGES; do
    began=$(date +%s)
    case "$s" in
    c) [ -x Tests/c/run.sh ] && { Tests/c/run.sh || status=1; } ;;
    swift) swift test --skip-build --no-parallel || status=1 ;;
    security) [ -x Tests/security/run.sh ] && { Tests/security/run.sh || status=1; } ;;
    fuzz) [ -x Tests/fuzz/run.sh ] && { Tests/fuzz/run.sh || status=1; } ;;
    load) [ -x Tests/load/run.sh ] && { Tests/load/run.sh || status=1; } ;;
    engines) [ -x Tests/engines/run.sh ] && { Tests/engines/run.sh || status=1; } ;;
    *) echo "test: unknown stage $s (c swift security fuzz load engines)" >&2; exit 2 ;;
    esac
    echo "test: stage $s took $(( $(date +%s) - began )) s"
done
exit $status
