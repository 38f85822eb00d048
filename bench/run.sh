#!/usr/bin/env bash
# Nest against crun and runc on one busybox bundle, in one run, runtimes
# alternating round by round. See bench/README.md.
#
#   bench/run.sh [--quick] [--bindir DIR] [--doc FILE] [--no-install] [--profile] [--only pages|network|pull|engines]
#
#   --quick       a short run (about 3 minutes once built); its table goes to
#                 /tmp/nest-bench-quick.md, not to docs/performance.md
#   --bindir DIR  use Nest binaries from DIR instead of `scripts/build.sh release`
#   --doc FILE    write the results table into FILE
#   --no-install  do not apt-get install missing packages
#   --profile     also run bench/profile.sh (strace, perf) on `nest run`
#   --no-nest     measure crun, runc, conmon and tini only (no build)
#   --only pages  only the page-sharing section (bench/pages.sh); the rest of
#                 the results in the doc stays as it was
#   --only network  only the network section (bench/network.sh), likewise
#   --only pull   only the pull section (bench/pull.sh), likewise
#   --only engines  only the engines section (bench/engines.sh: podman and
#                 containerd with nest against crun), likewise
set -eu -o pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$REPO/bench"
QUICK=0 BINDIR="" DOC="" INSTALL=1 PROFILE=0 NONEST=0 ONLY=""
ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --bindir) BINDIR="$(cd "$2" && pwd)"; shift ;;
        --doc) DOC="$2"; shift ;;
        --no-install) INSTALL=0 ;;
        --profile) PROFILE=1 ;;
        --no-nest) NONEST=1 ;;
        --only) case "${2:-}" in pages|network|pull|engines) ;; *) echo "bench: --only takes 'pages', 'network', 'pull' or 'engines', got '${2:-}'" >&2; exit 2 ;; esac
                ONLY="$2"; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups, mounts)" >&2; exit 1; }

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# Everything runs under `alt reap`, a child subreaper: the host's PID 1 reaps
# orphans late, and detached containers, monitors and conmons would otherwise
# linger as zombies and keep their cgroups busy.
if [ -z "${NEST_BENCH_REAPER:-}" ]; then
    command -v gcc >/dev/null || { [ $INSTALL = 1 ] && apt-get install -y -qq gcc libc6-dev >/dev/null; } \
        || die "gcc is needed to build bench/alt.c"
    ALT_BIN="$(mktemp /tmp/nest-bench-alt.XXXXXX)"
    gcc -O2 -Wall -o "$ALT_BIN" "$BENCH/alt.c" || die "cannot build bench/alt.c"
    NEST_BENCH_REAPER=1 ALT="$ALT_BIN" "$ALT_BIN" reap bash "$0" "${ARGS[@]+"${ARGS[@]}"}"
    status=$?
    rm -f "$ALT_BIN"
    exit $status
fi
REAPER_PID=$PPID

# ---------------------------------------------------------------- sizes
if [ $QUICK = 1 ]; then
    MODE=quick LIFE_ROUNDS=50 STEP_ROUNDS=20 DAEMON_ROUNDS=50 PAR_ROUNDS=3 HF_RUNS=10 PAGES_ROUNDS=30 PULL_ROUNDS=5
    PAR_BIG_ROUNDS=2 ENGINE_ROUNDS=10
    API_REQS=300 API_SMALL=100 API_BIG=1000
    DOC="${DOC:-/tmp/nest-bench-quick.md}"
else
    MODE=full LIFE_ROUNDS=300 STEP_ROUNDS=150 DAEMON_ROUNDS=300 PAR_ROUNDS=20 HF_RUNS=50 PAGES_ROUNDS=100 PULL_ROUNDS=20
    PAR_BIG_ROUNDS=8 ENGINE_ROUNDS=100
    API_REQS=2000 API_SMALL=100 API_BIG=1000
    DOC="${DOC:-$REPO/docs/performance.md}"
fi
PAR_N=50 PAR_BIG=200 MEM_N=10 WARM=3
T_START=$(date +%s)

# ---------------------------------------------------------------- packages
need_pkgs() {
    local missing="" p
    for p in crun runc tini hyperfine conmon jq curl busybox-static strace gcc libc6-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        [ $INSTALL = 1 ] || die "missing packages:$missing (run without --no-install)"
        log "installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; } \
            || die "apt-get install$missing failed"
    fi
}
need_pkgs
[ -x /usr/bin/tini-static ] || die "tini-static not found (Debian's tini package ships it)"

# ---------------------------------------------------------------- build
if [ $NONEST = 1 ]; then
    BINDIR=""
elif [ -z "$BINDIR" ]; then
    log "building Nest (scripts/build.sh release)"
    T0=$(date +%s)
    if BUILD_OUT="$("$REPO/scripts/build.sh" release 2>"/tmp/nest-bench-build.log")"; then
        BINDIR="$(printf '%s\n' "$BUILD_OUT" | tail -n 1)"
        log "built in $(( $(date +%s) - T0 )) s: $BINDIR"
    else
        log "Nest did not build (see /tmp/nest-bench-build.log); measuring crun, runc, conmon and tini only"
        BINDIR=""
    fi
fi
NEST="${BINDIR:+$BINDIR/nest}" NESTD="${BINDIR:+$BINDIR/nestd}" NESTCTL="${BINDIR:+$BINDIR/nestctl}"

# ---------------------------------------------------------------- networks (--only network)
# Needs neither crun nor runc, nor the host change made for them below: the
# section runs here, in a work dir of its own, and the bench ends with it.
if [ "$ONLY" = network ]; then
    [ -x "${NESTD:-}" ] && [ -x "${NESTCTL:-}" ] || die "networks need nestd and nestctl (Nest did not build, or --bindir lacks them)"
    WORK="$(mktemp -d /tmp/nest-bench.XXXXXX)" R="$WORK/results"
    mkdir -p "$R"
    LOAD_NETWORK="$(cut -d' ' -f1-3 /proc/loadavg)"
    log "networks: run --rm with and without --network, nestctl and podman (bench/network.sh)"
    T0=$(date +%s)
    BINDIR="$BINDIR" ALT="$ALT" PW="$WORK/network" R="$R" ROUNDS=$LIFE_ROUNDS \
        "$BENCH/network.sh" || die "the network bench failed (its work dir: $WORK)"
    export QUICK R REPO LOAD_NETWORK ROUNDS=$LIFE_ROUNDS DURATION_NETWORK=$(( $(date +%s) - T0 ))
    "$BENCH/report-network.sh" >"$WORK/report-network.md" 2>"$WORK/report-network.err" \
        || die "network report failed: $(cat "$WORK/report-network.err")"
    "$BENCH/insert-doc.sh" "$DOC" "$WORK/report-network.md" network
    log "network results written to $DOC"
    echo
    sed -n '/^### Headline/,$p' "$WORK/report-network.md"
    rm -rf "$WORK"
    exit 0
fi

# ---------------------------------------------------------------- work area, cleanup
WORK="$(mktemp -d /tmp/nest-bench.XXXXXX)"
PFX="nb$$-"                         # every container id and cgroup of this run starts with it
STATE="$WORK/state"                 # --root of every runtime: a tmpfs of our own
mkdir -p "$STATE"
mount -t tmpfs -o mode=0700,size=512m nest-bench "$STATE"
mkdir -p "$STATE/nest" "$STATE/crun" "$STATE/runc" "$STATE/nestd" "$STATE/conmon-crun" \
         "$WORK/results" "$WORK/conmon" "$WORK/data"
ERRLOG="$WORK/errors.log"; : >"$ERRLOG"
export ALT_ERRLOG="$ERRLOG"
SOCK="$STATE/nestd.sock"
export NEST_SOCKET="$SOCK"      # nestctl takes --socket too; this covers either spelling
NESTD_PID=""
MOUNTED_HUGETLB=0
HOST_NOTE=""

cleanup() {
    local rc=$? id d p cg
    trap - EXIT INT TERM
    set +e
    log "cleaning up"
    if [ -n "$NESTD_PID" ] && kill -0 "$NESTD_PID" 2>/dev/null; then
        for id in $(curl -s --max-time 10 --unix-socket "$SOCK" "http://nestd/v1/containers" | jq -r '.[]?.id' 2>/dev/null); do
            curl -s --max-time 10 --unix-socket "$SOCK" -X DELETE "http://nestd/v1/containers/$id?force=true" >/dev/null
        done
        kill -TERM "$NESTD_PID"
        for _ in $(seq 50); do kill -0 "$NESTD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NESTD_PID" 2>/dev/null
    fi
    for d in "$STATE/nest" "$STATE/nestd"; do
        [ -n "$NEST" ] && [ -d "$d" ] || continue
        for id in $(ls "$d" 2>/dev/null); do
            [ -d "$d/$id" ] && "$NEST" --root "$d" delete --force "$id" >/dev/null 2>&1
        done
    done
    for d in "$STATE/crun" "$STATE/conmon-crun"; do
        for id in $(crun --root "$d" list -q 2>/dev/null); do crun --root "$d" delete -f "$id" >/dev/null 2>&1; done
    done
    for id in $(runc --root "$STATE/runc" list -q 2>/dev/null); do runc --root "$STATE/runc" delete -f "$id" >/dev/null 2>&1; done
    for p in "$WORK"/conmon/*.conmon.pid; do [ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null; done
    # Whatever still lives in a cgroup of ours, then the cgroups themselves.
    for cg in $(find /sys/fs/cgroup -depth -type d -name "$PFX*" 2>/dev/null); do
        for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    done
    sleep 0.2
    for cg in $(find /sys/fs/cgroup -depth -type d -name "$PFX*" 2>/dev/null); do rmdir "$cg" 2>/dev/null; done
    # Helpers that name our work area (monitors, conmons), but never ourselves.
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [ "$p" = $$ ] || [ "$p" = "$REAPER_PID" ] && continue
        tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q "$WORK" && kill -KILL "$p" 2>/dev/null
    done
    for p in $(awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do
        umount "$p" 2>/dev/null || umount -l "$p"
    done
    rm -rf "$WORK"
    [ $MOUNTED_HUGETLB = 1 ] && restore_hugetlb
    exit $rc
}
# The kernel destroys an unmounted v1 hierarchy only if it had no child
# cgroup at the moment of the unmount (one still being removed counts); else
# the hierarchy lingers unmounted and hugetlb never returns to cgroup2. So:
# unmount, check that it went back, and if not, mount and unmount again.
restore_hugetlb() {
    local try i
    for try in 1 2 3 4 5; do
        find /sys/fs/cgroup/hugetlb -mindepth 1 -depth -type d -name "$PFX*" -exec rmdir {} \; 2>/dev/null
        umount /sys/fs/cgroup/hugetlb 2>/dev/null || umount -l /sys/fs/cgroup/hugetlb
        for i in $(seq 30); do
            if awk '$1 == "hugetlb" && $2 == 0 {f=1} END {exit !f}' /proc/cgroups; then
                rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
                log "unmounted the hugetlb v1 hierarchy; hugetlb is back on the cgroup2 mount"
                return 0
            fi
            sleep 0.1
        done
        mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || break
    done
    log "warning: hugetlb did not return to the cgroup2 mount (see /proc/cgroups)"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- hybrid host
# crun 1.8 refuses to run while any controller is enabled on the cgroup2 mount
# of a hybrid host ("cgroups in hybrid mode not supported"). On these hosts
# only hugetlb sits there; binding it to a v1 hierarchy of its own moves it
# off the cgroup2 mount for the length of the run.
if awk '$3 == "cgroup" && $4 ~ /(^|,)hugetlb(,|$)/ {found=1} END {exit !found}' /proc/mounts; then
    HOST_NOTE="hugetlb was already mounted as a cgroup v1 hierarchy; left as it was."
elif grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || die "cannot mount hugetlb as a v1 hierarchy"
    MOUNTED_HUGETLB=1
    HOST_NOTE="hugetlb was on the cgroup2 mount (crun refuses such hybrid hosts); the bench mounted it as a v1 hierarchy at /sys/fs/cgroup/hugetlb for the run and unmounted it afterwards."
    log "mounted hugetlb as a cgroup v1 hierarchy at /sys/fs/cgroup/hugetlb (crun refuses hybrid hosts with controllers on cgroup2); it is unmounted at the end"
elif awk '$1 == "hugetlb" && $2 != 0 {f=1} END {exit !f}' /proc/cgroups; then
    HOST_NOTE="hugetlb sat in an unmounted v1 hierarchy (left by an earlier mount), so no controller was on the cgroup2 mount; nothing changed."
else
    HOST_NOTE="no controller on the cgroup2 mount; nothing changed."
fi

# ---------------------------------------------------------------- bundles
# The config `runc spec` generates, with terminal false and the given args.
mkbundle() {
    local dir="$1"; shift
    mkdir -p "$dir/rootfs/bin" "$dir/rootfs/sbin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" \
             "$dir/rootfs/tmp" "$dir/rootfs/etc"
    cp /bin/busybox "$dir/rootfs/bin/busybox"
    local a
    for a in sh true sleep cat ls echo; do ln -sf busybox "$dir/rootfs/bin/$a"; done
    cp /usr/bin/tini-static "$dir/rootfs/sbin/tini"
    (cd "$dir" && rm -f config.json && runc spec)
    jq --argjson args "$(printf '%s\n' "$@" | jq -R . | jq -s .)" \
        '.process.args = $args | .process.terminal = false' "$dir/config.json" >"$dir/config.json.new"
    mv "$dir/config.json.new" "$dir/config.json"
}
B_TRUE="$WORK/bundle-true";  mkbundle "$B_TRUE" /bin/true
B_SLEEP="$WORK/bundle-sleep"; mkbundle "$B_SLEEP" sleep 1000
B_TINI="$WORK/bundle-tini";  mkbundle "$B_TINI" /sbin/tini -- sleep 1000

crun --root "$STATE/crun" run --bundle "$B_TRUE" "${PFX}smoke" >/dev/null 2>"$WORK/crun-smoke.err" \
    || die "crun does not run the bundle: $(cat "$WORK/crun-smoke.err")"
log "crun runs the bundle"
runc --root "$STATE/runc" run --bundle "$B_TRUE" "${PFX}smoke" >/dev/null 2>"$WORK/runc-smoke.err" \
    || die "runc does not run the bundle: $(cat "$WORK/runc-smoke.err")"

HAVE_NEST=0 HAVE_NESTD=0 NEST_WHY="" NESTD_WHY=""
if [ $NONEST = 1 ]; then
    NEST_WHY="left out (--no-nest)"
elif [ -z "$BINDIR" ]; then
    NEST_WHY="Nest did not build"
elif [ ! -x "$NEST" ] || [ ! -x "$BINDIR/nest-monitor" ] || [ ! -x "$BINDIR/nest-init" ]; then
    NEST_WHY="nest, nest-monitor or nest-init missing in $BINDIR"
elif ! "$NEST" --root "$STATE/nest" run --bundle "$B_TRUE" "${PFX}smoke" >/dev/null 2>"$WORK/nest-smoke.err"; then
    NEST_WHY="nest run fails: $(head -c 300 "$WORK/nest-smoke.err")"
else
    HAVE_NEST=1
fi
[ $HAVE_NEST = 1 ] && log "nest runs the bundle" || log "nest unavailable: $NEST_WHY"

api() { curl -s --max-time 30 --unix-socket "$SOCK" "$@"; }
start_nestd() {
    [ -n "$BINDIR" ] && [ -x "$NESTD" ] && [ -x "$NESTCTL" ] || { NESTD_WHY="nestd or nestctl missing"; return 1; }
    "$NESTD" --socket "$SOCK" --root "$STATE/nestd" --data "$WORK/data" --log-level warning \
        </dev/null >"$WORK/nestd.log" 2>&1 &
    NESTD_PID=$!
    local i
    for i in $(seq 200); do
        [ -S "$SOCK" ] && api -o /dev/null -w '%{http_code}' http://nestd/v1/version 2>/dev/null | grep -q 200 && break
        kill -0 "$NESTD_PID" 2>/dev/null || { NESTD_WHY="nestd exited: $(tail -c 300 "$WORK/nestd.log")"; return 1; }
        sleep 0.05
    done
    [ -S "$SOCK" ] || { NESTD_WHY="nestd did not open its socket in 10 s"; return 1; }
    "$NESTCTL" --socket "$SOCK" run --rm "$B_TRUE" >/dev/null 2>"$WORK/nestctl-smoke.err" \
        || { NESTD_WHY="nestctl run --rm fails: $(head -c 300 "$WORK/nestctl-smoke.err")"; return 1; }
}
if [ -n "$ONLY" ]; then
    NESTD_WHY="left out (--only $ONLY)"
elif [ $HAVE_NEST = 1 ]; then
    if start_nestd; then HAVE_NESTD=1; log "nestd runs the bundle"; else log "nestd unavailable: $NESTD_WHY"; fi
else
    NESTD_WHY="needs nest"
fi

# ---------------------------------------------------------------- helpers
R="$WORK/results"
# alt spec lines for `run` of the /bin/true bundle
spec_run() {
    case "$1" in
        crun) echo "run crun --root $STATE/crun run --bundle $B_TRUE {id}" ;;
        runc) echo "run runc --root $STATE/runc run --bundle $B_TRUE {id}" ;;
        nest) echo "run $NEST --root $STATE/nest run --bundle $B_TRUE {id}" ;;
        nestctl) echo "run $NESTCTL --socket $SOCK run --rm $B_TRUE" ;;
        # the floor: new namespaces, chroot, exec; no cgroup, no mounts, no state
        floor) echo "run unshare --fork --pid --net --ipc --uts --mount chroot $B_TRUE/rootfs /bin/true" ;;
    esac
}
# create, start, (wait for stopped, untimed), delete
spec_steps() {
    local cmd
    case "$1" in
        crun) cmd="crun --root $STATE/crun" ;;
        runc) cmd="runc --root $STATE/runc" ;;
        nest) cmd="$NEST --root $STATE/nest" ;;
    esac
    echo "create $cmd create --bundle $B_TRUE {id}"
    echo "start $cmd start {id}"
    echo "-wait !i=0; until [ \"\$($cmd state {id} | jq -r .status)\" = stopped ]; do i=\$((i+1)); [ \$i -lt 2000 ] || exit 1; sleep 0.002; done"
    echo "delete $cmd delete {id}"
}
runtimes() { echo crun; echo runc; [ $HAVE_NEST = 1 ] && echo nest; true; }

# field N of the line of alt's output starting with WORDS
field() { awk -v k="$2" -v n="$3" '($1 " " $2) == k || ($1 " " $2 " " $3) == k {print $n; exit}' "$1"; }
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
ppid_of() { awk '{print $4}' "/proc/$1/stat" 2>/dev/null; }
# The host-side processes of a container: the ancestors of its PID 1 below
# the bench's subreaper (a monitor, conmon; none for a detached crun).
host_side() {
    local p; p="$(ppid_of "$1")"
    while [ -n "$p" ] && [ "$p" != "$REAPER_PID" ] && [ "$p" != 1 ] && [ "$p" != $$ ] && [ "$p" != 0 ]; do
        echo "$p"; p="$(ppid_of "$p")"
    done
}
mean() { awk '{s+=$1; n++} END {if (n) printf "%.0f", s/n; else print "n/a"}'; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
awk '{exit !($1 > 1.0)}' /proc/loadavg && log "warning: load average ${LOAD_START%% *}: something else is running; figures will be noisy"
# Sections 1 to 6 and the profile: left out by --only (not indented, to keep
# them as they were).
if [ -z "$ONLY" ]; then
# ---------------------------------------------------------------- 1. lifecycle
log "lifecycle: run of /bin/true, $LIFE_ROUNDS alternating rounds"
{ for rt in $(runtimes) floor; do echo "@$rt"; spec_run $rt; done; } >"$WORK/life.spec"
ALT_PREFIX="${PFX}l" "$ALT" seq -w $WARM $LIFE_ROUNDS "$WORK/life.spec" >"$R/life.txt"

if [ $HAVE_NEST = 1 ]; then
    log "cross-check with hyperfine (sequential, not alternating): $HF_RUNS runs each"
    hyperfine -N --warmup 3 --runs $HF_RUNS --export-json "$R/hyperfine.json" \
        -n nest "sh -c '$NEST --root $STATE/nest run --bundle $B_TRUE ${PFX}h\$\$'" \
        -n crun "sh -c 'crun --root $STATE/crun run --bundle $B_TRUE ${PFX}h\$\$'" >"$R/hyperfine.txt" 2>&1 \
        || log "hyperfine failed (see its output in the table notes)"
fi

# ---------------------------------------------------------------- 2. steps
log "steps: create, start, delete, $STEP_ROUNDS alternating rounds"
{ for rt in $(runtimes); do echo "@$rt"; spec_steps $rt; done; } >"$WORK/steps.spec"
ALT_PREFIX="${PFX}s" "$ALT" seq -w $WARM $STEP_ROUNDS "$WORK/steps.spec" >"$R/steps.txt"

# ---------------------------------------------------------------- 3. daemon path
NESTD_RSS_IDLE="" NESTD_RSS_AFTER="" NESTD_RSS_SMALL="" NESTD_RSS_BIG=""
if [ $HAVE_NESTD = 1 ]; then
    log "daemon path: nestctl run --rm vs crun run, $DAEMON_ROUNDS alternating rounds"
    { echo "@crun"; spec_run crun; echo "@nestctl"; spec_run nestctl; } >"$WORK/daemon.spec"
    ALT_PREFIX="${PFX}d" "$ALT" seq -w $WARM $DAEMON_ROUNDS "$WORK/daemon.spec" >"$R/daemon.txt"
fi

# ---------------------------------------------------------------- 4. throughput
log "throughput: $PAR_N containers at once, $PAR_ROUNDS alternating rounds"
{ echo "@crun"; spec_run crun
  [ $HAVE_NEST = 1 ] && { echo "@nest"; spec_run nest; }
  [ $HAVE_NESTD = 1 ] && { echo "@nestctl"; spec_run nestctl; }
  true; } >"$WORK/par.spec"
ALT_PREFIX="${PFX}p" "$ALT" par -w 1 $PAR_ROUNDS $PAR_N "$WORK/par.spec" >"$R/par.txt"
log "throughput: $PAR_BIG containers at once, $PAR_BIG_ROUNDS alternating rounds"
ALT_PREFIX="${PFX}q" "$ALT" par -w 1 $PAR_BIG_ROUNDS $PAR_BIG "$WORK/par.spec" >"$R/par-big.txt"

# ---------------------------------------------------------------- 5. memory
log "memory: $MEM_N containers running sleep per runtime"
settle() { sleep 1; }     # let every PID 1 reach its steady state (exec done, page faults taken)
: >"$R/mem-monitor.txt"; : >"$R/mem-init.txt"; : >"$R/mem-conmon.txt"; : >"$R/mem-tini.txt"; : >"$R/mem-crunhost.txt"
# conmon, started as podman starts it, then `crun start` as podman does.
mkdir -p "$WORK/conmon/exits" "$WORK/conmon/sock"
for i in $(seq $MEM_N); do
    id="${PFX}cm$i"
    conmon --api-version 1 -c "$id" -u "$id" -n "$id" -r /usr/bin/crun -b "$B_SLEEP" \
        -p "$WORK/conmon/$id.pid" -P "$WORK/conmon/$id.conmon.pid" \
        -l "k8s-file:$WORK/conmon/$id.log" --log-level warning \
        --exit-dir "$WORK/conmon/exits" --socket-dir-path "$WORK/conmon/sock" \
        --persist-dir "$WORK/conmon/persist-$id" \
        --runtime-arg "--root=$STATE/conmon-crun" </dev/null >/dev/null 2>>"$ERRLOG" \
        || die "conmon failed for $id"
    for _ in $(seq 100); do [ -s "$WORK/conmon/$id.pid" ] && break; sleep 0.02; done
    crun --root "$STATE/conmon-crun" start "$id" 2>>"$ERRLOG" || die "crun start under conmon failed for $id"
done
# tini as PID 1 of detached crun containers.
for i in $(seq $MEM_N); do
    crun --root "$STATE/crun" run -d --bundle "$B_TINI" "${PFX}ti$i" </dev/null >/dev/null 2>>"$ERRLOG" \
        || die "crun run -d of tini failed"
done
# Nest: create + start of the sleep bundle.
if [ $HAVE_NEST = 1 ]; then
    for i in $(seq $MEM_N); do
        "$NEST" --root "$STATE/nest" create --bundle "$B_SLEEP" "${PFX}ns$i" </dev/null >/dev/null 2>>"$ERRLOG" \
            && "$NEST" --root "$STATE/nest" start "${PFX}ns$i" 2>>"$ERRLOG" \
            || { log "nest create/start of a sleep container failed"; break; }
    done
fi
settle
for i in $(seq $MEM_N); do
    id="${PFX}cm$i"
    cp="$(cat "$WORK/conmon/$id.conmon.pid" 2>/dev/null)"
    [ -n "$cp" ] && pss "$cp" >>"$R/mem-conmon.txt"
    tp="$(crun --root "$STATE/crun" state "${PFX}ti$i" | jq -r .pid)"
    [ "$(cat /proc/$tp/comm)" = tini ] && pss "$tp" >>"$R/mem-tini.txt"
    for p in $(host_side "$tp"); do pss "$p" >>"$R/mem-crunhost.txt"; done
    if [ $HAVE_NEST = 1 ]; then
        np="$("$NEST" --root "$STATE/nest" state "${PFX}ns$i" 2>/dev/null | jq -r '.pid // empty')"
        [ -n "$np" ] || continue
        # The state's pid may be nest-init or the process it runs.
        [ "$(cat /proc/$np/comm 2>/dev/null)" = nest-init ] || np="$(ppid_of "$np")"
        [ "$(cat /proc/$np/comm 2>/dev/null)" = nest-init ] || { log "no nest-init found for ${PFX}ns$i"; continue; }
        pss "$np" >>"$R/mem-init.txt"
        sum=0 names=""
        for p in $(host_side "$np"); do sum=$((sum + $(pss "$p"))); names="$names $(cat /proc/$p/comm)"; done
        echo "$sum" >>"$R/mem-monitor.txt"
        echo "$names" >"$R/mem-monitor-names.txt"
    fi
done
[ $HAVE_NEST = 1 ] && for i in $(seq $MEM_N); do
    "$NEST" --root "$STATE/nest" delete --force "${PFX}ns$i" >/dev/null 2>&1
done
# Nest through nestd (`nestctl run -d`): the monitor, forked from nestd's
# zygote, stays per container. Measured once the `nest create` ones are
# gone, so that each kind shares its binary's pages among its own 10, as
# tini's and conmon's do.
: >"$R/mem-dmonitor.txt"; : >"$R/mem-dinit.txt"; : >"$WORK/mem-nestd-ids"
if [ $HAVE_NESTD = 1 ]; then
    for i in $(seq $MEM_N); do
        "$NESTCTL" --socket "$SOCK" run -d "$B_SLEEP" </dev/null >>"$WORK/mem-nestd-ids" 2>>"$ERRLOG" \
            || { log "nestctl run -d of a sleep container failed"; break; }
    done
    settle
    for id in $(cat "$WORK/mem-nestd-ids"); do
        np="$(api "http://nestd/v1/containers/$id" | jq -r '.pid // empty')"
        [ -n "$np" ] || continue
        [ "$(cat /proc/$np/comm 2>/dev/null)" = nest-init ] || np="$(ppid_of "$np")"
        [ "$(cat /proc/$np/comm 2>/dev/null)" = nest-init ] || { log "no nest-init found for $id"; continue; }
        mp="$(ppid_of "$np")"
        # (its comm is the fd nestd exec'd the zygote from; the command line
        # each monitor writes names it)
        tr '\0' ' ' <"/proc/$mp/cmdline" 2>/dev/null | grep -q '^nest-monitor ' || { log "no monitor found for $id"; continue; }
        pss "$np" >>"$R/mem-dinit.txt"
        pss "$mp" >>"$R/mem-dmonitor.txt"
    done
    for id in $(cat "$WORK/mem-nestd-ids"); do
        api -X DELETE "http://nestd/v1/containers/$id?force=true" >/dev/null
    done
fi
for i in $(seq $MEM_N); do
    crun --root "$STATE/conmon-crun" delete -f "${PFX}cm$i" >/dev/null 2>&1
    crun --root "$STATE/crun" delete -f "${PFX}ti$i" >/dev/null 2>&1
done
true

# ---------------------------------------------------------------- 6. nestd memory and API
if [ $HAVE_NESTD = 1 ]; then
    NESTD_RSS_AFTER="$(rss_kb "$NESTD_PID")"
    # A fresh daemon for the idle figure: the one above has run hundreds of containers.
    kill -TERM "$NESTD_PID"; wait "$NESTD_PID" 2>/dev/null || true; NESTD_PID=""
    rm -f "$SOCK"
    start_nestd || die "nestd did not restart: $NESTD_WHY"
    sleep 1
    NESTD_RSS_IDLE="$(rss_kb "$NESTD_PID")"
    # What many runs leave behind (allocator arenas of the request threads,
    # anything kept per container): RSS after 100 `run --rm`, then after
    # RUNS_BIG in all, 4 at once; the second should be within 5 MiB of the first.
    [ $QUICK = 1 ] && RUNS_BIG=1000 || RUNS_BIG=10000
    runs_n() {  # $1 more `nestctl run --rm`, 4 at once; failures counted into $R/nestd-runs-failed
        seq "$1" | xargs -P 4 -I{} sh -c '"$0" --socket "$1" run --rm "$2" >/dev/null 2>&1 || echo failed' \
            "$NESTCTL" "$SOCK" "$B_TRUE" | wc -l >>"$R/nestd-runs-failed"
    }
    log "nestd: 100 run --rm"
    : >"$R/nestd-runs-failed"
    runs_n 100
    sleep 1
    echo "RUNS 100 $(rss_kb "$NESTD_PID")" >"$R/nestd-runs.txt"
    log "nestd: $RUNS_BIG run --rm in all"
    runs_n $((RUNS_BIG - 100))
    sleep 1
    echo "RUNS $RUNS_BIG $(rss_kb "$NESTD_PID") $(awk '{s += $1} END {print s + 0}' "$R/nestd-runs-failed")" >>"$R/nestd-runs.txt"
    create_n() {  # create containers (not started) until nestd knows $1
        local have; have="$(api http://nestd/v1/containers | jq length)"
        seq "$have" $(( $1 - 1 )) | xargs -P 4 -I{} curl -s --max-time 60 --unix-socket "$SOCK" \
            -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
            -d "{\"name\": \"${PFX}api{}\", \"bundle\": \"$B_SLEEP\"}" http://nestd/v1/containers \
            | grep -vc '^201$' >"$WORK/create-failures" || true
        [ "$(cat "$WORK/create-failures")" = 0 ] || log "$(cat "$WORK/create-failures") creates failed"
    }
    log "nestd: $API_SMALL containers created"
    create_n $API_SMALL
    sleep 1
    NESTD_RSS_SMALL="$(rss_kb "$NESTD_PID")"
    "$ALT" http -w 20 "$SOCK" /v1/containers $API_REQS >"$R/api-small.txt"
    log "nestd: $API_BIG containers created"
    create_n $API_BIG
    sleep 1
    NESTD_RSS_BIG="$(rss_kb "$NESTD_PID")"
    "$ALT" http -w 20 "$SOCK" /v1/containers $API_REQS >"$R/api-big.txt"
    KNOWN_BIG="$(api http://nestd/v1/containers | jq length)"
    log "nestd: removing the $KNOWN_BIG containers"
    api http://nestd/v1/containers | jq -r '.[].id' | xargs -P 4 -I{} curl -s --max-time 60 \
        --unix-socket "$SOCK" -o /dev/null -X DELETE "http://nestd/v1/containers/{}?force=true"
fi

if [ $PROFILE = 1 ] && [ $HAVE_NEST = 1 ]; then
    log "profiling nest run (bench/profile.sh)"
    NEST="$NEST" BUNDLE="$B_TRUE" ROOT="$STATE/nest" PFX="${PFX}prof" OUT="$R/profile" \
        "$BENCH/profile.sh" >"$R/profile.txt" 2>&1 || log "profile failed: see $R/profile.txt"
fi

fi  # [ -z "$ONLY" ]

# ---------------------------------------------------------------- 7. page sharing
LOAD_PAGES="$(cut -d' ' -f1-3 /proc/loadavg)" DURATION_PAGES=0
if [ -n "$ONLY" ] && [ "$ONLY" != pages ]; then
    :
elif [ $HAVE_NEST = 1 ] && [ -x "$NESTD" ] && [ -x "$NESTCTL" ]; then
    log "page sharing: containers of an image against copies and one dir, crun on the same overlays (bench/pages.sh)"
    T0=$(date +%s)
    BINDIR="$BINDIR" ALT="$ALT" PW="$WORK/pages" PFX="${PFX}g" R="$R" MEM_N=$MEM_N ROUNDS=$PAGES_ROUNDS \
        "$BENCH/pages.sh" || log "page sharing failed (its figures show as not measured)"
    DURATION_PAGES=$(( $(date +%s) - T0 ))
    export QUICK MEM_N R REPO LOAD_PAGES DURATION_PAGES ROUNDS=$PAGES_ROUNDS
    "$BENCH/report-pages.sh" >"$WORK/report-pages.md" 2>"$WORK/report-pages.err" \
        || die "page-sharing report failed: $(cat "$WORK/report-pages.err")"
    "$BENCH/insert-doc.sh" "$DOC" "$WORK/report-pages.md" pages
elif [ -n "$ONLY" ]; then
    die "page sharing needs nest, nestd and nestctl: ${NEST_WHY:-not in $BINDIR}"
fi

# ---------------------------------------------------------------- 8. pull
LOAD_PULL="$(cut -d' ' -f1-3 /proc/loadavg)" DURATION_PULL=0
if [ -n "$ONLY" ] && [ "$ONLY" != pull ]; then
    :
elif [ $HAVE_NEST = 1 ] && [ -x "$NESTD" ] && [ -x "$NESTCTL" ]; then
    log "pull: nestctl pull against skopeo copy of a 5-layer image from a local registry (bench/pull.sh)"
    T0=$(date +%s)
    BINDIR="$BINDIR" ALT="$ALT" PW="$WORK/pull" R="$R" ROUNDS=$PULL_ROUNDS \
        "$BENCH/pull.sh" || log "pull failed (its figures show as not measured)"
    DURATION_PULL=$(( $(date +%s) - T0 ))
    export QUICK R REPO LOAD_PULL DURATION_PULL ROUNDS=$PULL_ROUNDS
    "$BENCH/report-pull.sh" >"$WORK/report-pull.md" 2>"$WORK/report-pull.err" \
        || die "pull report failed: $(cat "$WORK/report-pull.err")"
    "$BENCH/insert-doc.sh" "$DOC" "$WORK/report-pull.md" pull
elif [ -n "$ONLY" ]; then
    die "the pull bench needs nest, nestd and nestctl: ${NEST_WHY:-not in $BINDIR}"
fi

# ---------------------------------------------------------------- 9. engines
LOAD_ENGINES="$(cut -d' ' -f1-3 /proc/loadavg)" DURATION_ENGINES=0
if [ -n "$ONLY" ] && [ "$ONLY" != engines ]; then
    :
elif [ $HAVE_NEST = 1 ]; then
    log "engines: podman run --rm and ctr run --rm, nest against crun (bench/engines.sh)"
    T0=$(date +%s)
    BINDIR="$BINDIR" ALT="$ALT" PW="$WORK/engines" R="$R" ROUNDS=$ENGINE_ROUNDS PFX="$PFX" INSTALL=$INSTALL \
        "$BENCH/engines.sh" || log "the engines bench failed (its figures show as not measured)"
    DURATION_ENGINES=$(( $(date +%s) - T0 ))
    export QUICK R REPO ONLY LOAD_ENGINES DURATION_ENGINES ROUNDS=$ENGINE_ROUNDS
    "$BENCH/report-engines.sh" >"$WORK/report-engines.md" 2>"$WORK/report-engines.err" \
        || die "engines report failed: $(cat "$WORK/report-engines.err")"
    "$BENCH/insert-doc.sh" "$DOC" "$WORK/report-engines.md" engines
elif [ -n "$ONLY" ]; then
    die "the engines bench needs nest: $NEST_WHY"
fi

if [ -n "$ONLY" ]; then
    log "$ONLY results written to $DOC"
    echo
    sed -n '/^### Headline/,$p' "$WORK/report-$ONLY.md"
    exit 0
fi

# ---------------------------------------------------------------- report
T_END=$(date +%s)
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
export MODE QUICK LIFE_ROUNDS STEP_ROUNDS DAEMON_ROUNDS PAR_ROUNDS PAR_N PAR_BIG PAR_BIG_ROUNDS MEM_N API_REQS API_SMALL API_BIG HF_RUNS \
    HAVE_NEST HAVE_NESTD NEST_WHY NESTD_WHY HOST_NOTE NESTD_RSS_IDLE NESTD_RSS_AFTER NESTD_RSS_SMALL NESTD_RSS_BIG \
    BINDIR NEST R REPO ERRLOG LOAD_START LOAD_END
export DURATION=$((T_END - T_START))
"$BENCH/report.sh" >"$WORK/report.md" 2>"$WORK/report.err" || die "report failed: $(cat "$WORK/report.err")"
"$BENCH/insert-doc.sh" "$DOC" "$WORK/report.md"
log "results written to $DOC"
if [ -s "$ERRLOG" ]; then
    log "errors during the run (first lines):"; head -n 20 "$ERRLOG" >&2
fi
echo
# The headline ratios, last.
sed -n '/^### Headline/,$p' "$WORK/report.md"
[ -f "$WORK/report-pages.md" ] && { echo; sed -n '/^### Headline/,$p' "$WORK/report-pages.md"; }
[ -f "$WORK/report-pull.md" ] && { echo; sed -n '/^### Headline/,$p' "$WORK/report-pull.md"; }
[ -f "$WORK/report-engines.md" ] && { echo; sed -n '/^### Headline/,$p' "$WORK/report-engines.md"; }
true
