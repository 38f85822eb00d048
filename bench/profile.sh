#!/usr/bin/env bash
# Where the time of `nest run` goes: syscall counts and times (strace -c -f),
# the longest gaps in a timestamped trace (strace -f -ttt -T), the startup
# floor of each binary, and a CPU profile (perf, software clock: this VM has
# no hardware counters). Prints a summary; raw files stay in $OUT.
#
#   NEST=.../nest BUNDLE=DIR ROOT=DIR [PFX=id-prefix] [OUT=DIR] bench/profile.sh
# bench/run.sh --profile calls it with its own bundle and tmpfs root.
set -eu -o pipefail
: "${NEST:?path of the nest binary}" "${BUNDLE:?bundle running /bin/true}" "${ROOT:?state root for nest}"
PFX="${PFX:-prof$$-}"
OUT="${OUT:-$(mktemp -d /tmp/nest-profile.XXXXXX)}"
CROOT="$ROOT.crun"
mkdir -p "$OUT" "$ROOT" "$CROOT"
BINDIR="$(dirname "$NEST")"
n=0
nid() { n=$((n + 1)); echo "${PFX}$n"; }

section() { printf '\n== %s\n' "$*"; }

section "startup floor: the binary alone (no container), median of 30"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs 30 --export-json "$OUT/floor.json" \
        "$NEST --version" "crun --version" "runc --version" >/dev/null 2>&1 || true
    jq -r '.results[] | "\(.command): \(.median * 1000 | . * 100 | round / 100) ms"' "$OUT/floor.json" 2>/dev/null || true
fi
echo "shared libraries: nest $(ldd "$NEST" 2>/dev/null | wc -l), crun $(ldd "$(command -v crun)" | wc -l)"

section "first write to a v1 cgroup.procs after an idle gap (the cost every runtime pays on a hybrid host)"
probe_cg=""
for h in pids memory cpu; do [ -d "/sys/fs/cgroup/$h" ] && awk -v m="/sys/fs/cgroup/$h" '$2 == m && $3 == "cgroup" {f=1} END {exit !f}' /proc/mounts && { probe_cg="/sys/fs/cgroup/$h/${PFX}probe"; break; }; done
if [ -n "$probe_cg" ] && mkdir "$probe_cg" 2>/dev/null; then
    for gap in 1 1 1 0 0 0; do
        sleep "$gap"
        ( t0=$EPOCHREALTIME; echo "$BASHPID" >"$probe_cg/cgroup.procs"; t1=$EPOCHREALTIME
          awk -v a="$t0" -v b="$t1" -v g="$gap" 'BEGIN {printf "after %s s idle: %.2f ms\n", g, (b - a) * 1000}' )
    done
    rmdir "$probe_cg"
else
    echo "no v1 hierarchy to probe"
fi

section "strace -c -f: nest run (syscalls of nest and everything it starts)"
strace -c -f -o "$OUT/strace-c-nest.txt" "$NEST" --root "$ROOT" run --bundle "$BUNDLE" "$(nid)" >/dev/null
head -n 25 "$OUT/strace-c-nest.txt"
section "strace -c -f: crun run, for comparison"
if strace -c -f -o "$OUT/strace-c-crun.txt" crun --root "$CROOT" run --bundle "$BUNDLE" "$(nid)" >/dev/null; then
    head -n 15 "$OUT/strace-c-crun.txt"
else
    echo "crun run failed (on a hybrid host, run this through bench/run.sh --profile)"
fi

section "strace -f -ttt -T: nest run, the 20 slowest syscalls (waits for a child included)"
strace -f -ttt -T -s 80 -o "$OUT/strace-t-nest.txt" "$NEST" --root "$ROOT" run --bundle "$BUNDLE" "$(nid)" >/dev/null
# strace prints a blocking call's duration on its "resumed" line; name the
# call from its "unfinished" line of the same pid.
awk '/<unfinished \.\.\.>$/ { call[$1] = substr($3, 1, 90); next }
     match($0, /<[0-9]+\.[0-9]+>$/) {
        d = substr($0, RSTART + 1, RLENGTH - 2) * 1000
        c = ($3 == "<...") ? call[$1] : substr($3, 1, 90)
        printf "%8.3f ms  pid %-7s %s\n", d, $1, c }' "$OUT/strace-t-nest.txt" | sort -rn | head -n 20
first="$(awk 'NR==1 {print $2}' "$OUT/strace-t-nest.txt")"
last="$(awk 'END {print $2}' "$OUT/strace-t-nest.txt")"
echo "traced span: $(awk -v a="$first" -v b="$last" 'BEGIN {printf "%.1f", (b - a) * 1000}') ms (strace slows every syscall)"
section "strace: milestones of nest run (ms from the first syscall)"
awk -v t0="$first" '
    / execve\(/ || /clone3?\(/ || /posix_spawn/ || /pivot_root/ || /unshare/ || /setns/ || /cgroup.procs/ ||
    /exit_group/ || /wait4|waitid/ {
        printf "%8.2f  pid %-7s %s\n", ($2 - t0) * 1000, $1, substr($0, index($0, $3), 110) }' \
    "$OUT/strace-t-nest.txt" | head -n 60

section "perf stat: 20 runs of nest run vs crun run"
if perf stat -e task-clock true >/dev/null 2>&1; then
    perf stat -r 20 -e task-clock,context-switches,cpu-migrations,page-faults \
        "$NEST" --root "$ROOT" run --bundle "$BUNDLE" "${PFX}ps" 2>&1 >/dev/null | sed -n '/Performance/,$p'
    perf stat -r 20 -e task-clock,context-switches,cpu-migrations,page-faults \
        crun --root "$CROOT" run --bundle "$BUNDLE" "${PFX}ps" 2>&1 >/dev/null | sed -n '/Performance/,$p' || true

    section "perf record (cpu-clock, 20 runs of nest run): where the CPU time goes"
    perf record -q -g -F 20000 -e cpu-clock -o "$OUT/perf.data" -- \
        sh -c "for i in \$(seq 20); do $NEST --root $ROOT run --bundle $BUNDLE ${PFX}pr\$i >/dev/null; done" 2>/dev/null
    perf report -i "$OUT/perf.data" --stdio --no-children --sort comm,dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25
    echo
    perf report -i "$OUT/perf.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' | head -n 25
else
    echo "perf cannot count here (perf stat -e task-clock fails)"
fi
echo
echo "raw files: $OUT"
