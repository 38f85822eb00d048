#!/bin/bash
# Fault class: a container's monitor killed (issue 9 item 14). The monitor
# reaps the init and writes the exit status; killed with SIGKILL while the
# container runs, the exit code used to be lost (`nestctl wait` printed -1).
# nestd now keeps it: the init is reaped by the zygote (a child subreaper)
# and nestd reads its status through a pidfd (PIDFD_INFO_EXIT). Without a
# daemon (`nest`), the code is reported as unknown: stopped, no exitCode.
source "$(dirname "$0")/lib.sh"

B=$(bundle b sh -c "trap 'exit 7' TERM; while :; do sleep 0.1; done")
start_nestd
for round in 1 2 3; do
	id=$(nestctl run -d "$B" 2>/dev/null)
	[ -n "$id" ] || { bad "monitor killed: run -d failed"; break; }
	monitor=$(jq -r .monitorPid "$T/droot/$id/state.json")
	kill -9 "$monitor"
	sleep 0.2
	check "monitor killed ($round): the container still runs" \
		[ "$(nestctl inspect "$id" | jq -r 'if type == "array" then .[0] else . end | .state')" = running ]
	nestctl wait "$id" > "$T/wait" 2>&1 &
	waiter=$!
	sleep 0.2
	nestctl kill --signal TERM "$id" >/dev/null 2>&1 || nestctl kill -s TERM "$id" >/dev/null
	n=0
	while kill -0 "$waiter" 2>/dev/null && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
	check "monitor killed ($round): nestctl wait prints the exit code 7 ($(cat "$T/wait"))" [ "$(cat "$T/wait")" = 7 ]
	code=$(nestctl inspect "$id" | jq -r 'if type == "array" then .[0] else . end | .exitCode')
	check "monitor killed ($round): inspect shows exitCode 7 ($code)" [ "$code" = 7 ]
	nestctl rm -f "$id" >/dev/null
done
stop_nestd

# nest: no daemon holds a pidfd; the exit code is unknown, and said to be
id="$NS_TAG-n"
nest create -b "$B" "$id" </dev/null >/dev/null 2>&1 && nest start "$id"
monitor=$(jq -r .monitorPid "$ROOT/$id/state.json")
kill -9 "$monitor"
sleep 0.2
nest kill "$id" TERM
n=0
while [ "$(nest state "$id" | jq -r .status)" != stopped ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
st=$(nest state "$id")
check "monitor killed (nest): the container is stopped" [ "$(jq -r .status <<<"$st")" = stopped ]
check "monitor killed (nest): no made-up exit code" [ "$(jq -r '.exitCode // "unknown"' <<<"$st")" = unknown ]
nest delete -f "$id"
finish
