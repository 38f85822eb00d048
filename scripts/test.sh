#!/bin/sh
# Sets up, builds and runs every test of Nest. Tests that need root skip with
# a printed reason when not run as root.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
if [ "$(id -u)" = 0 ]; then scripts/setup.sh; else echo "test: not root, skipping package setup"; fi
BINDIR="$(scripts/build.sh debug | tail -n 1)"
swift build --build-tests
status=0
if [ -x Tests/c/run.sh ]; then
    BINDIR="$BINDIR" Tests/c/run.sh || status=1
fi
swift test --skip-build --no-parallel || status=1
exit $status
