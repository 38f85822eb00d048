#!/bin/bash
# Attack class: integer overflow in signal parsing (issue 9 item 6). A signal
# name such as RTMIN+2147483647 made `RTMIN + k` overflow and trap: one REST
# request killed nestd (SIGILL), and `nest kill` crashed the same way. Every
# such name must be refused (400 naming the parameter; usage error, exit 2)
# and nestd must stay up. Valid names still work.
source "$(dirname "$0")/lib.sh"

BAD=("RTMIN+2147483647" "RTMAX-2147483647" "RTMIN+-2147483648" "RTMAX--2147483648" "RTMIN+4294967296"
     "SIGRTMIN+99999999999999999999" "RTMIN+31" "RTMAX-31" "RTMIN+-1" "65" "0" "-9" "2147483648" "99999999999999999999"
     "RTMIN+" "RTMIN+ 1" "KILLX")

# ignores the real-time signals the valid cases send (34, 36, 37)
SH='trap "" 34 36 37; while :; do sleep 1; done'
b="$(bundle app sh -c "$SH")" || { bad "bundle"; finish; }
start_nestd || finish
id="$(nestctl create --name "${NS_TAG}-sig" "$b")" || { bad "create"; finish; }
nestctl start "$id" >/dev/null || bad "start"

curl_kill() {
	curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		"http://localhost/v1/containers/$id/kill?signal=$(jq -rn --arg s "$1" '$s|@uri')"
}
for s in "${BAD[@]}"; do
	code="$(curl_kill "$s")"
	if [ "$code" = 400 ] && jq -e '.field == "signal"' "$T/body" >/dev/null 2>&1; then
		ok "signal overflow: REST kill signal=$s is 400 naming signal"
	else
		bad "signal overflow: REST kill signal=$s answered '$code' $(cat "$T/body" 2>/dev/null)"
	fi
	kill -0 "$NESTD_PID" 2>/dev/null || { bad "signal overflow: nestd died on signal=$s"; NESTD_PID=""; break; }
done
if [ -n "$NESTD_PID" ]; then
	check "signal overflow: nestd still answers" curl -sf --unix-socket "$SOCK" http://localhost/v1/version -o /dev/null
	[ "$(nestctl inspect "$id" 2>/dev/null | jq -r '.[0].state // .state')" = running ] && ok "signal overflow: container untouched" \
		|| bad "signal overflow: container not running after the bad signals"
	code="$(curl_kill RTMIN+3)"
	[ "$code" = 200 ] && ok "signal overflow: RTMIN+3 still accepted" || bad "signal overflow: RTMIN+3 answered $code"
	nestctl kill --signal RTMAX-30 "$id" >/dev/null && ok "signal overflow: nestctl kill RTMAX-30 (a + or - in the query)" \
		|| bad "signal overflow: nestctl kill RTMAX-30"
	nestctl rm -f "$id" >/dev/null || bad "rm"
fi
stop_nestd

# nest kill: a usage error (exit 2) before anything is signalled
nb="$(bundle onb sh -c "$SH")"
nid="${NS_TAG}-k"
nest create --bundle "$nb" "$nid" >/dev/null 2>&1 || bad "nest create"
nest start "$nid" >/dev/null 2>&1 || bad "nest start"
for s in "${BAD[@]}"; do
	[ "$s" = 0 ] && continue # nest kill ID 0 asks whether the container lives (below)
	nest kill "$nid" "$s" >/dev/null 2>"$T/err"; rc=$?
	if [ $rc = 2 ] && grep -q signal "$T/err"; then ok "signal overflow: nest kill $s exits 2"
	else bad "signal overflow: nest kill $s exited $rc: $(head -c 300 "$T/err")"; fi
done
[ "$(nest state "$nid" 2>/dev/null | jq -r .status)" = running ] && ok "signal overflow: nest container untouched" \
	|| bad "signal overflow: nest container not running"
nest kill "$nid" RTMIN+2 >/dev/null 2>&1 && ok "signal overflow: nest kill RTMIN+2 works" || bad "signal overflow: nest kill RTMIN+2"
nest kill "$nid" 0 >/dev/null 2>&1 && [ "$(nest state "$nid" 2>/dev/null | jq -r .status)" = running ] \
	&& ok "signal overflow: nest kill ID 0 succeeds and signals nothing" || bad "signal overflow: nest kill ID 0"
for s in 00 000 +0 -0; do
	nest kill "$nid" "$s" >/dev/null 2>&1; rc=$?
	[ $rc = 2 ] && ok "signal overflow: nest kill $s exits 2 (only 0 itself is the existence check)" \
		|| bad "signal overflow: nest kill $s exited $rc"
done
nest delete -f "$nid" >/dev/null 2>&1
finish
