#!/bin/bash
# Fault class: unbounded daemon memory (issue 9 item 13). nestd was seen to
# grow by 16-26 kB per container run, never given back. After a warm-up
# (thread stacks, malloc arenas, metadata caches reach their size), more
# runs must not grow its RSS by more than a bound proportional to the
# target (5 MiB per 10,000 runs), with clients polling ps and inspect
# meanwhile (a lookup racing a removal must not bring back a cache entry).
source "$(dirname "$0")/lib.sh"

WARM="${MEM_WARM:-200}"
RUNS="${MEM_RUNS:-1000}"
PAR=25
# 5 MiB per 10,000 runs, and at least 1.5 MiB for allocator noise
LIMIT_KB=$(( RUNS * 5120 / 10000 )); [ $LIMIT_KB -lt 1536 ] && LIMIT_KB=1536

b="$(bundle app sh -c 'echo out; echo err >&2')" || { bad "bundle"; finish; }
start_nestd || finish
rss() { awk '/^VmRSS/ {print $2}' "/proc/$NESTD_PID/status"; }
export BINDIR SOCK b
drive() {   # drive N: N runs, a third of them create/start/wait/rm, the rest run --rm
	seq 1 "$1" | xargs -P "$PAR" -I{} sh -c '
		C="$BINDIR/nestctl --socket $SOCK"
		if [ $(({} % 3)) = 0 ]; then
			id=$($C create "$b") && $C start "$id" && $C wait "$id" && $C logs "$id" && $C rm "$id"
		else
			$C run --rm "$b"
		fi >/dev/null 2>&1'
}
poll() { while :; do nestctl ps -a >/dev/null 2>&1; nestctl ps -a --format json 2>/dev/null | jq -r '.[].id' | head -3 |
	while read -r id; do nestctl inspect "$id" >/dev/null 2>&1; done; done; }
poll & POLLER=$!
drive "$WARM"
before=$(rss)
drive "$RUNS"
kill $POLLER 2>/dev/null; wait $POLLER 2>/dev/null
sleep 1
after=$(rss)
growth=$((after - before))
echo "RSS after $WARM runs: $before kB; after $RUNS more: $after kB (growth $growth kB, bound $LIMIT_KB kB)"
[ $growth -le $LIMIT_KB ] && ok "daemon memory: RSS grew $growth kB over $RUNS runs (bound $LIMIT_KB kB)" \
	|| bad "daemon memory: RSS grew $growth kB over $RUNS runs (bound $LIMIT_KB kB)"
n="$(nestctl ps -a --format json | jq length)"
[ "$n" = 0 ] && ok "daemon memory: no container left" || bad "daemon memory: $n containers left"
finish
