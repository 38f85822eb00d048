#!/bin/bash
# Attack class: descriptor exhaustion and slowloris against nestd (issue 9
# item 9). At its descriptor limit nestd stopped answering, a state read
# failing with EMFILE was taken for "the container stopped", and nestd
# removed a running --rm container and reported a false exit. Here nestd's
# limit is lowered to 1024 with prlimit and 1500 connections are held open
# (half idle, half sending a byte a second) while a --rm container runs:
# connections over nestd's cap are answered 503 at once, the idle and slow
# ones are closed at the request deadline, the container is neither removed
# nor reported exited while it runs, its real exit is reported later, the API
# answers again, and nestd's RSS stays bounded.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 0; }
command -v prlimit >/dev/null || { echo "SKIP: needs prlimit (util-linux)"; exit 0; }

b="$(bundle app sh -c 'sleep 30; echo finished; exit 7')" || { bad "bundle"; finish; }
opts=()
"$BINDIR/nestd" --help 2>&1 | grep -q -- --request-timeout && opts=(--request-timeout 3)
start_nestd "${opts[@]}" || finish
prlimit --pid "$NESTD_PID" --nofile=1024:1024 || { bad "prlimit"; finish; }

nestctl run --rm "$b" > "$T/run.out" 2> "$T/run.err" &
RUN=$!
id=""
for i in $(seq 1 100); do
	id="$(nestctl ps --format json 2>/dev/null | jq -r '.[0].id // empty')"
	[ -n "$id" ] && break
	sleep 0.1
done
[ -n "$id" ] || { bad "fd exhaustion: the --rm container did not start: $(cat "$T/run.err")"; finish; }
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$NESTD_PID/status")

python3 "$(dirname "$0")/connflood.py" "$SOCK" 1500 10 > "$T/flood.json" &
FLOOD=$!
sleep 4
# while flooded: the container is still there and running
[ -d "$T/droot/$id" ] && ok "fd exhaustion: container state kept during the flood" || bad "fd exhaustion: container $id removed during the flood"
kill -0 "$RUN" 2>/dev/null && ok "fd exhaustion: attached run still waiting" || bad "fd exhaustion: attached run ended during the flood: rc? $(cat "$T/run.err")"
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$NESTD_PID/status" 2>/dev/null)
wait $FLOOD
echo "flood: $(cat "$T/flood.json")"
kill -0 "$NESTD_PID" 2>/dev/null || { bad "fd exhaustion: nestd died"; NESTD_PID=""; finish; }
refused=$(jq .refused_503 "$T/flood.json"); still=$(jq .open_at_end "$T/flood.json")
[ "${refused:-0}" -gt 0 ] && ok "fd exhaustion: $refused connections over the cap answered 503" \
	|| bad "fd exhaustion: no connection was refused with 503"
[ "${still:-1}" = 0 ] && ok "fd exhaustion: idle and slow connections closed by the request deadline" \
	|| bad "fd exhaustion: $still connections still open after 10 s"
# the API answers again
okapi=0
for i in $(seq 1 50); do curl -sf -m 2 --unix-socket "$SOCK" http://localhost/v1/version -o /dev/null && { okapi=1; break; }; sleep 0.2; done
[ $okapi = 1 ] && ok "fd exhaustion: the API answers after the flood" || bad "fd exhaustion: the API does not answer after the flood"
st="$(nestctl inspect "$id" 2>&1 | tee "$T/inspect" | jq -r '.[0].state // .state' 2>/dev/null)"
[ "$st" = running ] && ok "fd exhaustion: container still running after the flood" || bad "fd exhaustion: container is '$st' after the flood: $(head -c 300 "$T/inspect")"
wait $RUN; rc=$?
[ $rc = 7 ] && grep -qx finished "$T/run.out" && ok "fd exhaustion: the real exit (7) and output reported" \
	|| bad "fd exhaustion: run --rm exited $rc, output '$(cat "$T/run.out")', $(cat "$T/run.err")"
n="$(nestctl ps -a --format json | jq length)"
[ "$n" = 0 ] && ok "fd exhaustion: the --rm container removed after its exit" || bad "fd exhaustion: $n containers left"
growth=$(( ${rss1:-0} - rss0 ))
echo "nestd RSS: $rss0 kB before, $rss1 kB during the flood"
[ $growth -lt 20480 ] && ok "fd exhaustion: RSS grew $growth kB during the flood" || bad "fd exhaustion: RSS grew $growth kB during the flood"
finish
