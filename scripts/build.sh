#!/bin/sh
# Builds Nest: the Swift executables and the static C programs beside them.
#   scripts/build.sh [debug|release]
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
CONF="${1:-debug}"
swift build -c "$CONF"
BINDIR="$(swift build -c "$CONF" --show-bin-path)"
make -s BINDIR="$BINDIR"
echo "$BINDIR"
