#!/bin/bash
# Attack class: malformed query parameters and methods found by fuzzing the
# REST API (Tests/fuzz: schemathesis, nest-fuzz http). `GET
# /v1/containers?label=` read past the end of an empty split and killed nestd
# (SIGILL) from one request once any container existed; a 405 came without
# the Allow header that RFC 9110 requires. A bad query is a 400 naming the
# parameter, every 405 names the allowed methods, and nestd stays up.
source "$(dirname "$0")/lib.sh"

b="$(bundle app sleep 100)" || { bad "bundle"; finish; }
start_nestd || finish
id="$(nestctl create --name "${NS_TAG}-q" --label app=web "$b")" || { bad "create"; finish; }

get() { curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' --unix-socket "$SOCK" "$@"; }
for q in "label=" "label==x" "label=%3D"; do
	code="$(get "http://localhost/v1/containers?$q")"
	if [ "$code" = 400 ] && jq -e '.field == "label"' "$T/body" >/dev/null 2>&1; then
		ok "query: $q is 400 naming label"
	else
		bad "query: $q answered '$code' $(cat "$T/body" 2>/dev/null)"
	fi
	kill -0 "$NESTD_PID" 2>/dev/null || { bad "query: nestd died on $q"; NESTD_PID=""; finish; }
done
count() { local code; code="$(get "http://localhost/v1/containers?$1")"; [ "$code" = 200 ] && jq -r length "$T/body"; }
[ "$(count label=app=web)" = 1 ] && ok "query: label=app=web finds the container" || bad "query: label=app=web: $(cat "$T/body")"
[ "$(count label=app=)" = 0 ] && ok "query: label=app= (empty value) finds none" || bad "query: label=app=: $(cat "$T/body")"

for m in "TRACE /v1/version GET" "PUT /v1/containers GET, POST" "PATCH /v1/containers/$id GET, DELETE" \
	"GET /v1/containers/$id/start POST"; do
	set -- $m; method="$1" path="$2"; shift 2; want="$*"
	code="$(get -X "$method" "http://localhost$path")"
	allow="$(tr -d '\r' < "$T/head" | awk -F': ' 'tolower($1) == "allow" {print $2}')"
	if [ "$code" = 405 ] && [ "$allow" = "$want" ]; then ok "405: $method $path names Allow: $want"
	else bad "405: $method $path answered '$code' Allow '$allow' (want '$want')"; fi
done
check "query: nestd still answers" curl -sf --unix-socket "$SOCK" http://localhost/v1/version -o /dev/null
nestctl rm -f "$id" >/dev/null || bad "rm"
finish
