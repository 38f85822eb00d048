#!/bin/sh
# Builds Nest: the Swift executables and the static C programs beside them.
#   scripts/build.sh [debug|release]
# Release builds link the Swift runtime statically: `nest` and `nestctl` are
# started once per container operation, and resolving a dozen shared Swift
# libraries at every start costs more than the operation itself.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
CONF="${1:-debug}"
FLAGS=""
[ "$CONF" = release ] && FLAGS="--static-swift-stdlib"
swift build -c "$CONF" $FLAGS
# the man page generator of swift-argument-parser (scripts/manpages.sh)
swift build -c "$CONF" $FLAGS --product generate-manual
BINDIR="$(swift build -c "$CONF" $FLAGS --show-bin-path)"
make -s BINDIR="$BINDIR"
echo "$BINDIR"
