#!/usr/bin/env bash
# Page sharing: what a container of an image costs in memory when its
# rootfs is an overlay of the store's shared layers, against copies of the
# rootfs, one shared directory, and crun on the same overlays; and what the
# image path adds to `nestctl run --rm`. Called by bench/run.sh (see
# bench/README.md, "Page sharing"), which passes:
#   BINDIR  the Nest binaries         ALT   the timing driver (alt.c)
#   PW      an empty work dir of ours  PFX   the prefix of every name we make
#   R       the results dir            MEM_N containers per case
#   ROUNDS  alternating rounds of run --rm
# Results (in $R): pages-CASE.txt (one line per container: total kB, the
# rootfs program's kB), pages-run.txt (alt seq), pages.env (facts for the
# report). Everything made here is removed on exit, whatever happens.
set -eu -o pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
NESTD="$BINDIR/nestd" NESTCTL="$BINDIR/nestctl"
SOCK="$PW/nestd.sock"
IMAGE="bench/busybox:1"
CRUN_ROOT="$PW/crun-state"
NESTD_PID=""
log() { printf 'bench: pages: %s\n' "$*" >&2; }
die() { printf 'bench: pages: error: %s\n' "$*" >&2; exit 1; }
api() { curl -s --max-time 30 --unix-socket "$SOCK" "$@"; }
export NEST_SOCKET="$SOCK"      # nestctl's subcommand groups (image ...) take it from here
ctl() { "$NESTCTL" "$@"; }

cleanup() {
    local rc=$? id m
    trap - EXIT INT TERM
    set +e
    if [ -n "$NESTD_PID" ] && kill -0 "$NESTD_PID" 2>/dev/null; then
        for id in $(api "http://nestd/v1/containers?all=true" | jq -r '.[]?.id' 2>/dev/null); do
            api -X DELETE "http://nestd/v1/containers/$id?force=true" >/dev/null
        done
        kill -TERM "$NESTD_PID"
        for _ in $(seq 50); do kill -0 "$NESTD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NESTD_PID" 2>/dev/null
    fi
    for id in $(crun --root "$CRUN_ROOT" list -q 2>/dev/null); do crun --root "$CRUN_ROOT" delete -f "$id" >/dev/null 2>&1; done
    for m in $(awk -v w="$PW/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    rm -rf "$PW"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$PW" "$CRUN_ROOT"
: >"$R/pages.env"
fact() { printf '%s=%q\n' "$1" "$2" >>"$R/pages.env"; }

# ---------------------------------------------------------------- the image
# One layer: the busybox rootfs of scripts/mkbundle.sh, as an OCI layout
# (gzip'd layer tar, config, manifest, index), digests by sha256sum.
NEST="$BINDIR/nest" "$REPO/scripts/mkbundle.sh" "$PW/base" sleep 600 >/dev/null
NEST="$BINDIR/nest" "$REPO/scripts/mkbundle.sh" "$PW/true" true >/dev/null
L="$PW/layout"
mkdir -p "$L/blobs/sha256"
blob() {  # FILE MEDIATYPE -> a descriptor; FILE moves into the layout
    local hex size
    hex="$(sha256sum "$1" | cut -d' ' -f1)"; size="$(stat -c %s "$1")"
    mv "$1" "$L/blobs/sha256/$hex"
    jq -n --arg m "$2" --arg d "sha256:$hex" --argjson s "$size" '{mediaType: $m, digest: $d, size: $s}'
}
tar --numeric-owner --sort=name -C "$PW/base/rootfs" -cf "$PW/layer.tar" .
DIFF_ID="sha256:$(sha256sum "$PW/layer.tar" | cut -d' ' -f1)"
gzip -n "$PW/layer.tar"
LAYER="$(blob "$PW/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)"
jq -n --arg d "$DIFF_ID" '{architecture: "amd64", os: "linux", created: "2024-01-02T03:04:05Z",
    config: {Cmd: ["true"], Env: ["PATH=/bin"]}, rootfs: {type: "layers", diff_ids: [$d]}}' >"$PW/config.json"
CONFIG="$(blob "$PW/config.json" application/vnd.oci.image.config.v1+json)"
jq -n --argjson c "$CONFIG" --argjson l "$LAYER" '{schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c, layers: [$l]}' >"$PW/manifest.json"
MANIFEST="$(blob "$PW/manifest.json" application/vnd.oci.image.manifest.v1+json)"
jq -n --argjson m "$MANIFEST" '{schemaVersion: 2, manifests: [$m]}' >"$L/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"

# ---------------------------------------------------------------- nestd of our own
# The runtime's state on a tmpfs, as nestd's default root (/run/nest) is:
# an auto-remove container's bundle, upper and work dirs live there.
mkdir -p "$PW/root" "$PW/data"
mount -t tmpfs -o mode=0700,size=512m nest-bench-pages "$PW/root"
"$NESTD" --socket "$SOCK" --root "$PW/root" --data "$PW/data" --log-level warning </dev/null >"$PW/nestd.log" 2>&1 &
NESTD_PID=$!
for _ in $(seq 200); do
    [ -S "$SOCK" ] && api -o /dev/null -w '%{http_code}' http://nestd/v1/version 2>/dev/null | grep -q 200 && break
    kill -0 "$NESTD_PID" 2>/dev/null || die "nestd exited: $(tail -c 300 "$PW/nestd.log")"
    sleep 0.05
done
ctl image import --name "$IMAGE" "$L" >/dev/null 2>"$PW/import.err" || die "image import failed: $(cat "$PW/import.err")"
# The store's layer dirs, top first as overlay's lowerdir wants them.
LOWER=""
for c in $(ctl image inspect "$IMAGE" | jq -r '(if type == "array" then .[0] else . end).chainIDs[]'); do
    d="$PW/data/images/layers/sha256/${c#sha256:}"
    [ -d "$d" ] || die "layer dir $d of $IMAGE not found"
    LOWER="$d${LOWER:+:$LOWER}"
done
[ -n "$LOWER" ] || die "no layers listed for $IMAGE"
fact PAGES_LAYERS "$(echo "$LOWER" | tr ':' '\n' | wc -l)"

# ---------------------------------------------------------------- measuring
# The memory cgroup of PID, from /proc/PID/cgroup (v1 "memory", else v2).
memcg() {
    local p
    p="$(awk -F: '$2 == "memory" {print $3; exit}' "/proc/$1/cgroup")"
    if [ -n "$p" ]; then echo "/sys/fs/cgroup/memory$p"; return; fi
    p="$(awk -F: '$1 == "0" {print $3; exit}' "/proc/$1/cgroup")"
    echo "/sys/fs/cgroup/unified$p"
}
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# One line per container: the PSS of every process in its memory cgroup,
# summed, and that of the processes running the rootfs's busybox.
measure() {  # CASE PID...
    local case="$1" pid cg p sum prog exe
    shift
    : >"$R/pages-$case.txt"
    for pid in "$@"; do
        cg="$(memcg "$pid")"
        [ -f "$cg/cgroup.procs" ] || die "$case: no memory cgroup for pid $pid ($cg)"
        sum=0 prog=0
        for p in $(cat "$cg/cgroup.procs"); do
            sum=$((sum + $(pss "$p")))
            exe="$(readlink "/proc/$p/exe" 2>/dev/null || true)"
            [ "${exe##*/}" = busybox ] && prog=$((prog + $(pss "$p")))
        done
        echo "$sum $prog $(wc -w <"$cg/cgroup.procs")" >>"$R/pages-$case.txt"
    done
}
settle() { sleep 1; }   # every PID 1 past its exec and first page faults
nest_pid() { api "http://nestd/v1/containers/$1" | jq -r '.pid'; }
# 10 containers through nestd of TARGET_i (an image or bundle per i), measured, removed.
nest_case() {  # CASE TARGET_FN
    local case="$1" fn="$2" i pids=() id
    for i in $(seq "$MEM_N"); do
        id="$(ctl run -d --name "${PFX}$case$i" $($fn "$i") </dev/null 2>>"$PW/run.err")" \
            || die "$case: nestctl run -d failed: $(tail -n 3 "$PW/run.err")"
    done
    settle
    for i in $(seq "$MEM_N"); do pids+=("$(nest_pid "${PFX}$case$i")"); done
    measure "$case" "${pids[@]}"
    for i in $(seq "$MEM_N"); do ctl rm -f "${PFX}$case$i" >/dev/null 2>&1 || true; done
}

log "A: $MEM_N containers of $IMAGE (overlays of the shared layer)"
target_image() { echo "$IMAGE sleep 600"; }
nest_case shared target_image

log "B: $MEM_N containers, each of its own copy of the rootfs"
for i in $(seq "$MEM_N"); do cp -a "$PW/base" "$PW/copy$i"; done
target_copy() { echo "$PW/copy$1"; }
nest_case copied target_copy
for i in $(seq "$MEM_N"); do rm -rf "$PW/copy$i"; done

log "C: $MEM_N containers of one bundle directory"
target_same() { echo "$PW/base"; }
nest_case samedir target_same

log "D: $MEM_N crun containers on overlays of the same layer dir"
pids=()
for i in $(seq "$MEM_N"); do
    b="$PW/crun$i"
    mkdir -p "$b/rootfs" "$b/upper" "$b/work"
    mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$b/upper,workdir=$b/work" "$b/rootfs"
    (cd "$b" && runc spec)
    jq '.process.args = ["sleep", "600"] | .process.terminal = false' "$b/config.json" >"$b/config.json.new"
    mv "$b/config.json.new" "$b/config.json"
    crun --root "$CRUN_ROOT" run -d --bundle "$b" "${PFX}crun$i" </dev/null >/dev/null 2>>"$PW/run.err" \
        || die "crun run -d failed: $(tail -n 3 "$PW/run.err")"
done
settle
for i in $(seq "$MEM_N"); do pids+=("$(crun --root "$CRUN_ROOT" state "${PFX}crun$i" | jq -r .pid)"); done
measure crun "${pids[@]}"
for i in $(seq "$MEM_N"); do
    crun --root "$CRUN_ROOT" delete -f "${PFX}crun$i" >/dev/null 2>&1
    umount "$PW/crun$i/rootfs"
done

# ---------------------------------------------------------------- run --rm
# `image` gives the command as `run` does; `imagecmd` runs the image's own
# Cmd (true), which keeps nestctl on its fast path (FastPath.swift): the
# difference between the two is nestctl's argument parsing, not the daemon.
log "run --rm of /bin/true: $IMAGE vs a bundle, $ROUNDS alternating rounds"
{ echo "@bundle";   echo "run $NESTCTL --socket $SOCK run --rm $PW/true"
  echo "@image";    echo "run $NESTCTL --socket $SOCK run --rm $IMAGE true"
  echo "@imagecmd"; echo "run $NESTCTL --socket $SOCK run --rm $IMAGE"; } >"$PW/run.spec"
"$ALT" seq -w 3 "$ROUNDS" "$PW/run.spec" >"$R/pages-run.txt"
