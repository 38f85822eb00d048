#!/bin/bash
# The fuzzers that need a running nestd (Tests/fuzz/run.sh runs this):
#   http    nest-fuzz's raw, mutated HTTP requests over the unix socket
#   schema  schemathesis against docs/api/openapi.yaml, over socat
#           (TCP 127.0.0.1 -> the unix socket)
# nestd runs with a private socket, --root and --data (Tests/security/lib.sh);
# every container either fuzzer made is deleted at the end, and a cgroup
# dir, mount or process of one that is left fails the run.
#   replay  one request of Tests/fuzz/regressions/http (a fresh nestd each)
#   daemon.sh FUZZER ARTIFACTS [FILE]  (FUZZ_SECONDS / FUZZ_RUNS, FUZZ_SEED, NEST_FUZZ)
source "$(dirname "$0")/../security/lib.sh"
WHAT="$1" ART="$2" FILE="${3:-}"
SECONDS_BOUND="${FUZZ_SECONDS:-30}"

api() { curl -s --max-time 10 --unix-socket "$SOCK" "http://localhost$@"; }

# nestd's own crash report names the line that failed; it takes a few
# seconds to write, so nestd is asked for /v1/version before it is judged
export SWIFT_BACKTRACE=enable=yes,interactive=no
start_nestd || finish
b="$(bundle fuzzb sleep 3600)" || { bad "$WHAT: cannot make a bundle"; finish; }
jqset "$b" '.linux.cgroupsPath = $c' --arg c "/nest/$NS_TAG-fuzzme"
# a container for the requests to act on (start, kill, logs, subsystem...)
nestctl create --name fuzzme "$b" >/dev/null || bad "$WHAT: cannot create the target container"
fd0=$(ls "/proc/$NESTD_PID/fd" | wc -l)

case "$WHAT" in
replay)
	# the oracle of the http fuzzer, on one request once
	"$NEST_FUZZ" http --socket "$SOCK" --pid "$NESTD_PID" --artifacts "$ART" --replay "$FILE"
	check "replay $(basename "$FILE"): no 5xx, an HTTP answer" [ $? = 0 ]
	;;
http)
	if [ -n "${FUZZ_RUNS:-}" ]; then bound=(--runs "$FUZZ_RUNS"); else bound=(--seconds "$SECONDS_BOUND"); fi
	"$NEST_FUZZ" http --socket "$SOCK" --pid "$NESTD_PID" --seeds "$REPO/Tests/fuzz/seeds/http" \
		--seed "${FUZZ_SEED:-1}" --artifacts "$ART" --timeout-ms 10000 --max-len 8192 "${bound[@]}" \
		| tee "$T/http.out" | grep -v "inputs, .*/s, corpus"
	check "http: no 5xx, nestd alive, every answer HTTP (issue 9: bad REST input)" [ "${PIPESTATUS[0]}" = 0 ]
	if grep -q "FAIL" "$T/http.out"; then
		echo "http: the request that failed:"; od -c "$ART/finding-http" | head -20
		echo "http: nestd's log:"; tail -20 "$T/nestd.log"
	fi
	;;
schema)
	ST="$REPO/.build/fuzz/venv/bin/schemathesis"
	[ -x "$ST" ] || { bad "schema: schemathesis is not installed"; finish; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# -v: the traffic is kept, so that a request that kills nestd can be named
	socat -v TCP-LISTEN:"$port",bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$SOCK" 2>"$ART/schema-traffic.log" &
	SOCAT=$!
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
	# events never ends and wait blocks until an exit: a request timeout is
	# their answer, not a fault. attach and exec switch protocols (101) to
	# the stream framing of docs/api/streams.md, which schemathesis cannot
	# read (StreamTests and ExecStreamTests drive them, errors included).
	# checkLogin asks the registry its body names: a fuzzer would send it to
	# random hosts (RegistryLoginTests checks it against a local registry).
	# Every other operation is checked in full.
	# from $T: schemathesis keeps a cache in its working directory
	(cd "$T" && exec "$ST" run "$REPO/docs/api/openapi.yaml" --url "http://127.0.0.1:$port" --checks all \
		--exclude-checks ignored_auth,positive_data_acceptance \
		--max-time "${SCHEMA_SECONDS:-150}" --request-timeout 20 --max-response-time 19 --seed "${FUZZ_SEED:-1}" \
		--workers 2 --no-shrink --exclude-operation-id events --exclude-operation-id waitContainer \
		--exclude-operation-id attachContainer --exclude-operation-id execInContainer \
		--exclude-operation-id checkLogin \
		--report junit,har --report-dir "$ART/schemathesis" --warnings off ${SCHEMA_ARGS:-}) > "$T/schema.out" 2>&1
	rc=$?
	kill "$SOCAT" 2>/dev/null; wait "$SOCAT" 2>/dev/null
	grep -E "^(GET|POST|DELETE|PUT) |passed|failed|errored|Summary|^ *[0-9]+\. |Test cases|not_a_server_error|Server error|schema|✅|❌|🚫" "$T/schema.out" | head -80
	cp "$T/schema.out" "$ART/schemathesis.log"
	check "schema: schemathesis: no 5xx, every answer conforms to docs/api/openapi.yaml (log: $ART/schemathesis.log)" [ "$rc" = 0 ]
	;;
*) bad "daemon.sh: unknown fuzzer $WHAT" ;;
esac

sleep 0.5
alive=1
api /v1/version --max-time 30 | grep -q apiVersion || alive=0
[ -d "/proc/$NESTD_PID" ] && ! grep -q '^State:.*Z' "/proc/$NESTD_PID/status" || alive=0
check "$WHAT: nestd survived" [ "$alive" = 1 ]
LOG="$ART/nestd-$WHAT${FILE:+-$(basename "$FILE")}.log"
cp "$T/nestd.log" "$LOG"
if [ "$alive" = 1 ]; then
	sleep 1
	fd1=$(ls "/proc/$NESTD_PID/fd" | wc -l)
	check "$WHAT: nestd holds no more fds than before ($fd0 -> $fd1)" [ "$fd1" -le $((fd0 + 2)) ]
	# what the fuzzer made: every container nestd knows, deleted
	# pods first: their containers (POD/NAME) go with them
	for pod in $(api "/v1/pods" | jq -r '.[].id' 2>/dev/null); do api "/v1/pods/$pod?force=true" -X DELETE >/dev/null; done
	ids=$(api "/v1/containers?all=true" | jq -r '.[].id' 2>/dev/null)
	for id in $ids; do api "/v1/containers/${id//\//%2F}?force=true" -X DELETE >/dev/null; done
	left=$(api "/v1/containers" | jq 'length' 2>/dev/null)
	check "$WHAT: every container the fuzzer made is deleted (${left:-?} left)" [ "${left:-1}" = 0 ]
	# and its networks: their rules are the host's (names are URL-safe)
	for n in $(api "/v1/networks" | jq -r '.[].name' 2>/dev/null); do api "/v1/networks/$n" -X DELETE >/dev/null; done
	nets=$(api "/v1/networks" | jq 'length' 2>/dev/null)
	check "$WHAT: every network the fuzzer made is removed (${nets:-?} left)" [ "${nets:-1}" = 0 ]
else
	echo "$WHAT: nestd died; its last words (all in $LOG):"
	{ grep -m1 "Fatal error" "$T/nestd.log"; grep -A12 "crashed:" "$T/nestd.log" | grep "Sources/nestd" | head -n 4; } | sed 's/^/    /'
	[ "$WHAT" = schema ] && { echo "$WHAT: the last requests through socat:"; grep -a -A1 '^> ' "$ART/schema-traffic.log" | grep -a -E '^(GET|POST|DELETE|PUT|PATCH|TRACE|HEAD|OPTIONS) ' | tail -n 8 | sed 's/^/    /'; }
	NESTD_PID=""
	# its containers are deleted without it, so that none outlives the test
	ids=$(ls "$T/droot" 2>/dev/null)
	for id in $ids; do "$BINDIR/nest" --root "$T/droot" delete -f "$id" >/dev/null 2>&1; done
fi
for id in $ids; do
	c=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$id*" 2>/dev/null | head -3)
	[ -z "$c" ] || bad "$WHAT: cgroup of deleted container $id left: $c"
done
finish
