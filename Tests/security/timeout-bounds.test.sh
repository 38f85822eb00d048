#!/bin/bash
# Attack class: unbounded waits from request parameters (issue 9 item 10).
# `stop?timeout=1e400` (infinity once parsed) or any huge number blocked a
# nestd worker thread for ever on a container that ignores SIGTERM. Every
# timeout is validated and bounded: a number of seconds from 0 to 3600, else
# 400 naming the parameter, answered at once.
source "$(dirname "$0")/lib.sh"

b="$(bundle app sh -c 'trap "" TERM; while :; do sleep 1; done')" || { bad "bundle"; finish; }
start_nestd || finish
id="$(nestctl create --name "${NS_TAG}-t" "$b")" || { bad "create"; finish; }
nestctl start "$id" >/dev/null || bad "start"

for t in 1e400 inf Infinity nan -1 -0.5 1e10 3601 abc "" 0x10 "1 "; do
	code="$(curl -s -m 5 -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		"http://localhost/v1/containers/$id/stop?timeout=$(jq -rn --arg s "$t" '$s|@uri')")"
	if [ "$code" = 400 ] && jq -e '.field == "timeout"' "$T/resp" >/dev/null 2>&1; then
		ok "unbounded timeout: stop?timeout='$t' is 400 naming timeout"
	else
		bad "unbounded timeout: stop?timeout='$t' answered '$code' $(head -c 200 "$T/resp" 2>/dev/null)"
	fi
done
code="$(curl -s -m 5 -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" "http://localhost/v1/containers/$id/logs?since=1e400")"
[ "$code" = 400 ] && ok "unbounded timeout: logs?since=1e400 is 400" || bad "unbounded timeout: logs?since=1e400 answered '$code'"
check "unbounded timeout: nestctl stop -t 1e400 is a usage error" sh -c "! '$BINDIR/nestctl' --socket '$SOCK' stop -t 1e400 '$id' 2>/dev/null"
[ "$(nestctl inspect "$id" | jq -r '.[0].state // .state')" = running ] && ok "unbounded timeout: container still running" \
	|| bad "unbounded timeout: container not running"
# a valid bounded stop: TERM is ignored, KILL follows after 0.5 s
start=$(date +%s%N)
code="$(curl -s -m 15 -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" -X POST "http://localhost/v1/containers/$id/stop?timeout=0.5")"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$code" = 200 ] && [ "$(jq -r .state "$T/resp")" = stopped ] && ok "unbounded timeout: stop?timeout=0.5 stops in ${ms} ms" \
	|| bad "unbounded timeout: stop?timeout=0.5 answered $code $(cat "$T/resp")"
check "unbounded timeout: nestd still answers" curl -sf -m 5 --unix-socket "$SOCK" http://localhost/v1/version -o /dev/null
nestctl rm -f "$id" >/dev/null
finish
