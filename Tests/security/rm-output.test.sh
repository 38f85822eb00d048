#!/bin/bash
# Fault class: output lost by an attached auto-remove run (issue 9 item 12).
# With 25 `nestctl run --rm` in parallel, about 0.8 % printed nothing: nestd
# opened the log lazily, and the removal after a fast exit unlinked it
# first. Every run here echoes a token of its own; each must be printed
# exactly once, by its own run, with exit status 0.
source "$(dirname "$0")/lib.sh"

RUNS="${RM_OUTPUT_RUNS:-500}"
PAR=25
base="$(bundle base true)" || { bad "bundle"; finish; }
# one config per run, all on the same rootfs
mkdir -p "$T/runs"
for i in $(seq 1 "$RUNS"); do
	d="$T/runs/$i"; mkdir "$d"
	jq --arg r "$base/rootfs" --arg tok "token-$NS_TAG-$i" \
		'.root.path = $r | .process.args = ["sh", "-c", "echo " + $tok]' "$base/config.json" > "$d/config.json"
done
start_nestd || finish
export BINDIR SOCK T
seq 1 "$RUNS" | xargs -P "$PAR" -I{} sh -c \
	'"$BINDIR/nestctl" --socket "$SOCK" run --rm "$T/runs/{}" > "$T/runs/{}/out" 2> "$T/runs/{}/err"; echo $? > "$T/runs/{}/rc"'

lost=0 wrong=0 failed=0
for i in $(seq 1 "$RUNS"); do
	d="$T/runs/$i"
	[ "$(cat "$d/rc")" = 0 ] || { failed=$((failed + 1)); [ $failed -le 3 ] && echo "run $i: rc $(cat "$d/rc"): $(head -c 200 "$d/err")"; }
	out="$(cat "$d/out")"
	if [ -z "$out" ]; then lost=$((lost + 1))
	elif [ "$out" != "token-$NS_TAG-$i" ]; then wrong=$((wrong + 1)); [ $wrong -le 3 ] && echo "run $i printed: $(head -c 200 "$d/out")"
	fi
done
[ $lost = 0 ] && ok "run --rm output: no output lost in $RUNS runs" || bad "run --rm output: $lost of $RUNS runs printed nothing"
[ $wrong = 0 ] && ok "run --rm output: every token exactly once" || bad "run --rm output: $wrong runs printed something else"
[ $failed = 0 ] && ok "run --rm output: every run exited 0" || bad "run --rm output: $failed runs failed"
n="$(nestctl ps -a --format json | jq length)"
[ "$n" = 0 ] && ok "run --rm output: every container removed" || bad "run --rm output: $n containers left"
finish
