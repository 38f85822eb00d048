#!/bin/sh
# Replaces the part of DOC between the bench markers with the contents of
# REPORT, keeping the hand-written analysis around it. With NAME, the markers
# are `bench:NAME:begin`/`bench:NAME:end` (a section of its own, such as
# pages). A DOC without the markers gets them appended; a missing DOC is
# created.
#   bench/insert-doc.sh DOC REPORT [NAME]
set -eu
DOC="$1" REPORT="$2" NAME="${3:-}"
BEGIN="<!-- bench:${NAME:+$NAME:}begin -->" END="<!-- bench:${NAME:+$NAME:}end -->"
if [ ! -f "$DOC" ] || ! grep -qF "$BEGIN" "$DOC" || ! grep -qF "$END" "$DOC"; then
    { [ -f "$DOC" ] && cat "$DOC" && echo; echo "## Results${NAME:+ ($NAME)}"; echo; echo "$BEGIN"; echo "$END"; } >"$DOC.new"
    mv "$DOC.new" "$DOC"
fi
awk -v b="$BEGIN" -v e="$END" -v r="$REPORT" '
    $0 == b { print; while ((getline l < r) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$DOC" >"$DOC.new"
mv "$DOC.new" "$DOC"
