#!/bin/bash
# Attack class: oversized request body (issue 9 item 7). A body over nestd's
# 1 MiB limit got no answer, yet the request was still executed: the
# container was created. Over the limit: 413 with a JSON error, and nothing
# runs (no container listed, no state dir, no cgroup), whether the size is
# declared (Content-Length) or only seen while reading (chunked).
source "$(dirname "$0")/lib.sh"

b="$(bundle app sleep 300)" || { bad "bundle"; finish; }
start_nestd || finish

# a valid create request, padded past 1 MiB with a label
big() {
	printf '{"bundle":"%s","name":"%s","labels":{"pad":"' "$b" "$1"
	head -c "${PAD:-1200000}" /dev/zero | tr '\0' x
	printf '"}}'
}
state_dirs() { find "$T/droot" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l; }

i=0
for mode in length length-noexpect chunked just-over; do
	i=$((i + 1))
	PAD=1200000
	case $mode in
	length) extra=() ;;
	length-noexpect) extra=(-H 'Expect:') ;;
	chunked) extra=(-H 'Transfer-Encoding: chunked' -H 'Expect:') ;;
	just-over) # one byte over: the last read both crosses the limit and ends the request
		extra=(-H "Expect:"); PAD=0; PAD=$((1048576 + 1 - $(big "${NS_TAG}-big$i" | wc -c))) ;;
	esac
	big "${NS_TAG}-big$i" > "$T/body.json"
	code="$(curl -s -m 20 -o "$T/resp" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		-H 'Content-Type: application/json' "${extra[@]}" --data-binary @"$T/body.json" http://localhost/v1/containers)"
	if [ "$code" = 413 ] && jq -e '.error | test("limit")' "$T/resp" >/dev/null 2>&1; then
		ok "body limit ($mode): 413 with a JSON error"
	else
		bad "body limit ($mode): answered '$code' $(head -c 200 "$T/resp" 2>/dev/null)"
	fi
done
sleep 1
n="$(nestctl ps -a --format json 2>/dev/null | jq length)"
[ "$n" = 0 ] && ok "body limit: no container listed" || bad "body limit: $n container(s) listed after oversized creates"
[ "$(state_dirs)" = 0 ] && ok "body limit: no state dir" || bad "body limit: state dirs: $(ls "$T/droot")"
[ -z "$(cgroups_of_test)" ] && ok "body limit: no cgroup" || bad "body limit: cgroups: $(cgroups_of_test)"
check "body limit: nestd still answers" curl -sf --unix-socket "$SOCK" http://localhost/v1/version -o /dev/null
# a request within the limit still works
id="$(nestctl create --name "${NS_TAG}-small" "$b")" && ok "body limit: a normal create works" || bad "body limit: normal create"
[ -n "$id" ] && nestctl rm -f "$id" >/dev/null
finish
