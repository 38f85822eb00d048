#!/bin/sh
# Writes the man pages of nest, nestd and nestctl (one page per command and
# subcommand, section 1) into OUTDIR, generated from the ArgumentParser
# definitions of the binaries in BINDIR by swift-argument-parser's
# generate-manual (the tool behind its generate-manual plugin, built from the
# dependency checkout by scripts/build.sh). The tool is run directly, not
# through `swift package plugin`: the plugin takes the build directory's
# lock, which a running `swift test` holds.
#   scripts/manpages.sh BINDIR OUTDIR
set -eu
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 BINDIR OUTDIR" >&2; exit 2; }
BINDIR="$1"
OUT="$2"
GEN="$BINDIR/generate-manual"
if [ ! -x "$GEN" ]; then
	export PATH="$PATH:/opt/swift/usr/bin"
	swift build -c release --product generate-manual >&2
	GEN="$(swift build -c release --show-bin-path)/generate-manual"
fi
mkdir -p "$OUT"
for tool in nest nestd nestctl; do
	"$GEN" "$BINDIR/$tool" --multi-page --date "$(date -u +%Y-%m-%d)" --output-directory "$OUT"
	[ -s "$OUT/$tool.1" ] || { echo "$0: no man page for $tool" >&2; exit 1; }
done
