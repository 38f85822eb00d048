#!/bin/sh
# Replaces the part of DOC between the bench markers with the contents of
# REPORT, keeping the hand-written analysis around it. A DOC without markers
# gets them appended; a missing DOC is created.
#   bench/insert-doc.sh DOC REPORT
set -eu
DOC="$1" REPORT="$2"
BEGIN='<!-- bench:begin -->' END='<!-- bench:end -->'
if [ ! -f "$DOC" ] || ! grep -qF "$BEGIN" "$DOC" || ! grep -qF "$END" "$DOC"; then
    { [ -f "$DOC" ] && cat "$DOC" && echo; echo "## Results"; echo; echo "$BEGIN"; echo "$END"; } >"$DOC.new"
    mv "$DOC.new" "$DOC"
fi
awk -v b="$BEGIN" -v e="$END" -v r="$REPORT" '
    $0 == b { print; while ((getline l < r) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$DOC" >"$DOC.new"
mv "$DOC.new" "$DOC"
