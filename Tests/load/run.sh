#!/bin/bash
# Load: LOAD_RUNS (default 5,000) `nestctl run --rm`, LOAD_PARALLEL (default
# 100) at a time, through one nestd. Every run echoes a token of its own and
# its output is checked: each token printed exactly once, by its own run.
# Before (after a warm-up of LOAD_WARMUP runs) and after: nestd's fds, RSS
# and threads, and this test's cgroup dirs, mounts, state and data dirs and
# processes. Fails on any failed run, any lost or wrong output, and any leak
# (RSS: more than LOAD_RSS_SLACK_KB, default 5 MiB, of growth; issue 9 item
# 13 asks for "within 5 MiB" after 10,000 runs). Needs root.
#   BINDIR=.build/debug Tests/load/run.sh
# Prints one summary line:
#   load: runs N, failures F, output lost L, output wrong W, leaks K (...), T s
source "$(dirname "$0")/../security/lib.sh"

RUNS="${LOAD_RUNS:-5000}"
PAR="${LOAD_PARALLEL:-100}"
WARMUP="${LOAD_WARMUP:-100}"
RSS_SLACK_KB="${LOAD_RSS_SLACK_KB:-5120}"
for c in xargs awk; do command -v $c >/dev/null || { echo "FAIL: load: $c missing"; exit 1; }; done

# One shared read-only rootfs; a config.json per run (the token is in the args).
base="$(bundle base)" || { bad "load: cannot make the bundle"; finish; }
jqset "$base" '.root.path = $r | .root.readonly = true
	| .process.args = ["sh", "-c", "echo @TOKEN@"]
	| .linux.cgroupsPath = "/nest/@CGROUP@"' --arg r "$base/rootfs"
template="$(cat "$base/config.json")"
B="$T/bundles" O="$T/out"
mkdir -p "$B" "$O"
salt="$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
make_bundles() { # FROM TO
	local i c
	for ((i = $1; i < $2; i++)); do
		mkdir "$B/$i"
		c="${template//@TOKEN@/tok-$i-$salt}"
		printf '%s\n' "${c//@CGROUP@/$NS_TAG-$i}" > "$B/$i/config.json"
	done
}

# runs FROM TO: every run in the background pool; results in $O/I.{out,err,rc}
runs() {
	seq "$1" $(($2 - 1)) | xargs -P "$PAR" -I{} sh -c \
		'"$0" --socket "$1" run --rm "$2/{}" > "$3/{}.out" 2> "$3/{}.err"; echo $? > "$3/{}.rc"' \
		"$BINDIR/nestctl" "$SOCK" "$B" "$O"
}

failed=0 lost=0 wrong=0
check_runs() { # FROM TO
	local i out rc
	for ((i = $1; i < $2; i++)); do
		rc="$(cat "$O/$i.rc" 2>/dev/null)"
		out="$(cat "$O/$i.out" 2>/dev/null)"
		if [ "$rc" != 0 ]; then
			failed=$((failed + 1))
			[ $failed -le 5 ] && echo "load: run $i failed (status ${rc:-none}): $(head -c 300 "$O/$i.err")"
		elif [ -z "$out" ]; then
			lost=$((lost + 1))
			[ $lost -le 5 ] && echo "load: run $i exited 0 but printed nothing (output lost)"
		elif [ "$out" != "tok-$i-$salt" ]; then
			wrong=$((wrong + 1))
			[ $wrong -le 5 ] && echo "load: run $i printed $(printf %q "$(head -c 200 <<<"$out")") instead of tok-$i-$salt"
		fi
	done
}

pstat() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# the test's processes but nestd and its zygote (`nest-monitor -z`): monitors, inits
container_procs() {
	local p
	for p in $(procs_of_test); do
		[ "$p" = "$NESTD_PID" ] && continue
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- 'nest-monitor -z' && continue
		echo "$p"
	done
}
figures() { # fds rss_kB threads cgroups mounts state data procs
	echo "$(ls "/proc/$NESTD_PID/fd" | wc -l) $(pstat "$NESTD_PID" VmRSS) $(pstat "$NESTD_PID" Threads)" \
		"$(cgroups_of_test | wc -l) $(mounts_of_test | wc -l)" \
		"$(ls "$T/droot" 2>/dev/null | wc -l) $(ls "$T/data" 2>/dev/null | wc -l) $(container_procs | wc -l)"
}

start_nestd || finish
make_bundles 0 $((WARMUP + RUNS))
runs 0 "$WARMUP"
check_runs 0 "$WARMUP"
sleep 1
read -r fd0 rss0 th0 cg0 mnt0 st0 dt0 pr0 <<<"$(figures)"
echo "load: before (after $WARMUP warm-up runs): nestd fds $fd0, RSS $rss0 kB, threads $th0; test cgroups $cg0, mounts $mnt0, state dirs $st0, data dirs $dt0, processes $pr0"
t0=$(date +%s.%N)
runs "$WARMUP" $((WARMUP + RUNS))
t1=$(date +%s.%N)
check_runs "$WARMUP" $((WARMUP + RUNS))
sleep 2
read -r fd1 rss1 th1 cg1 mnt1 st1 dt1 pr1 <<<"$(figures)"
echo "load: after $RUNS runs: nestd fds $fd1, RSS $rss1 kB, threads $th1; test cgroups $cg1, mounts $mnt1, state dirs $st1, data dirs $dt1, processes $pr1"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
rate=$(awk -v a="$t0" -v b="$t1" -v n="$RUNS" 'BEGIN {printf "%.0f", n / (b - a)}')
drss=$((rss1 - rss0))
per_run=$(awk -v d="$drss" -v n="$RUNS" 'BEGIN {printf "%.1f", d * 1024 / n / 1000}')

leaks=0 what=()
leak() { leaks=$((leaks + 1)); what+=("$1"); }
[ "$fd1" -gt "$fd0" ] && leak "nestd fds +$((fd1 - fd0))"
[ "$drss" -gt "$RSS_SLACK_KB" ] && leak "nestd RSS +$drss kB ($per_run kB/run)"
[ "$th1" -gt "$th0" ] && leak "nestd threads +$((th1 - th0))"
[ "$cg1" -gt 0 ] && leak "cgroup dirs $cg1"
[ "$mnt1" -gt 0 ] && leak "mounts $mnt1"
[ "$st1" -gt "$st0" ] && leak "state dirs +$((st1 - st0))"
[ "$dt1" -gt "$dt0" ] && leak "data dirs +$((dt1 - dt0))"
[ "$pr1" -gt 0 ] && leak "processes $pr1"
check "load: no run failed ($failed of $((RUNS + WARMUP)))" [ "$failed" = 0 ]
check "load: no output lost ($lost of $((RUNS + WARMUP)), issue 9 item 12)" [ "$lost" = 0 ]
check "load: every token printed exactly once by its own run ($wrong wrong)" [ "$wrong" = 0 ]
check "load: nestd RSS within $RSS_SLACK_KB kB after $RUNS runs (+$drss kB, $per_run kB/run, issue 9 item 13)" [ "$drss" -le "$RSS_SLACK_KB" ]
check "load: nestd fds ($fd0 -> $fd1) and threads ($th0 -> $th1) back to before" [ "$fd1" -le "$fd0" -a "$th1" -le "$th0" ]
check "load: no cgroup dir ($cg1), mount ($mnt1), container process ($pr1) left, state and data dirs back to before ($st0 -> $st1, $dt0 -> $dt1)" \
	[ $((cg1 + mnt1 + pr1)) = 0 -a "$st1" -le "$st0" -a "$dt1" -le "$dt0" ]
echo "load: runs $RUNS (+$WARMUP warm-up), failures $failed, output lost $lost, output wrong $wrong, leaks $leaks${what[*]:+ (${what[*]})}, $secs s ($rate runs/s, $PAR at a time)"
finish
