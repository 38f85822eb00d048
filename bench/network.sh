#!/usr/bin/env bash
# What a network costs a container: `nestctl run --rm --network NAME` against
# `nestctl run --rm` (no network: the spec's fresh empty namespace), and
# podman's `run --rm --network NAME` (its CNI backend here) against podman's
# `--network none`, alternating round by round. Called by bench/run.sh (see
# bench/README.md, "Networks"), which passes:
#   BINDIR  the Nest binaries          ALT   the timing driver (alt.c)
#   PW      an empty work dir of ours   R     the results dir
#   ROUNDS  alternating rounds
# The networks are named ntbench$$ and ntpbench$$ (10.201.60/61.0/24).
# Results (in $R): network-run.txt (alt seq), network.env (facts for the
# report). Everything made here (nestd, both networks) is removed on exit.
set -eu -o pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
NESTD="$BINDIR/nestd" NESTCTL="$BINDIR/nestctl"
SOCK="$PW/nestd.sock"
NESTD_PID=""
# names and subnets of our own (bench networks: 10.201.60-61.0/24)
NET="ntbench$$" PNET="ntpbench$$"
log() { printf 'bench: network: %s\n' "$*" >&2; }
die() { printf 'bench: network: error: %s\n' "$*" >&2; exit 1; }
api() { curl -s --max-time 30 --unix-socket "$SOCK" "$@"; }
export NEST_SOCKET="$SOCK"
PODMAN_NET=0

cleanup() {
    local rc=$? id
    trap - EXIT INT TERM
    set +e
    if [ -n "$NESTD_PID" ] && kill -0 "$NESTD_PID" 2>/dev/null; then
        for id in $(api "http://nestd/v1/containers" | jq -r '.[]?.id' 2>/dev/null); do
            api -X DELETE "http://nestd/v1/containers/$id?force=true" >/dev/null
        done
        "$NESTCTL" network rm "$NET" >/dev/null 2>&1
        kill -TERM "$NESTD_PID"
        for _ in $(seq 50); do kill -0 "$NESTD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NESTD_PID" 2>/dev/null
    fi
    [ $PODMAN_NET = 1 ] && podman network rm -f "$PNET" >/dev/null 2>&1
    rm -rf --one-file-system "$PW"
    exit $rc
}
trap cleanup EXIT INT TERM

[ -x /usr/lib/cni/bridge ] || die "needs containernetworking-plugins (/usr/lib/cni)"
mkdir -p "$PW"
"$REPO/scripts/mkbundle.sh" "$PW/true" /bin/true >/dev/null
"$NESTD" --socket "$SOCK" --root "$PW/root" --data "$PW/data" </dev/null >"$PW/nestd.log" 2>&1 &
NESTD_PID=$!
for _ in $(seq 200); do
    api -o /dev/null -w '%{http_code}' http://nestd/v1/version 2>/dev/null | grep -q 200 && break
    kill -0 "$NESTD_PID" 2>/dev/null || die "nestd exited: $(tail -c 300 "$PW/nestd.log")"
    sleep 0.05
done
"$NESTCTL" network create --subnet 10.201.60.0/24 "$NET" >/dev/null
"$NESTCTL" run --rm --network "$NET" "$PW/true" || die "nestctl run --network fails: $(tail -c 300 "$PW/nestd.log")"

BACKEND=none
# Rootful podman asks for 1048576 open files and processes, more than a root
# without CAP_SYS_RESOURCE may set (as in Tests/engines/podman.sh): the
# limits in force instead, for both podman cases alike.
NOFILE="$(ulimit -Hn)"
PODMAN=(podman run --rm --ulimit "nofile=$NOFILE:$NOFILE" --ulimit nproc=32768:32768)
if command -v podman >/dev/null; then
    BACKEND="$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo unknown)"
    podman network create --subnet 10.201.61.0/24 "$PNET" >/dev/null && PODMAN_NET=1
    "${PODMAN[@]}" --network "$PNET" --rootfs "$PW/true/rootfs" /bin/true || { log "podman run --network fails: left out"; BACKEND=none; }
fi
{
    echo "PODMAN_BACKEND=$BACKEND"
    echo "PODMAN_VERSION=\"$(podman --version 2>/dev/null | awk '{print $3}')\""
    echo "CNI_VERSION=\"$(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null)\""
    echo "NEST_BUILD=\"$(basename "$BINDIR")\""
} >"$R/network.env"

# A pod of three against three separate containers: each case makes,
# starts, waits for and removes three containers of /bin/true.
cat >"$PW/pod3.sh" <<SH
#!/bin/sh
set -e
p=\$("$NESTCTL" pod create)
for i in 1 2 3; do "$NESTCTL" create --pod "\$p" --name "c\$i" "$PW/true" >/dev/null; done
"$NESTCTL" pod start "\$p" >/dev/null
for i in 1 2 3; do "$NESTCTL" wait "\$p/c\$i" >/dev/null; done
"$NESTCTL" pod rm -f "\$p" >/dev/null
SH
cat >"$PW/three.sh" <<SH
#!/bin/sh
set -e
for i in 1 2 3; do "$NESTCTL" run --rm "$PW/true"; done
SH
chmod +x "$PW/pod3.sh" "$PW/three.sh"
"$PW/pod3.sh" || die "a pod of three fails: $(tail -c 300 "$PW/nestd.log")"

log "run --rm of /bin/true with and without a network, $ROUNDS alternating rounds"
{
    echo "@nestctl";     echo "run $NESTCTL --socket $SOCK run --rm $PW/true"
    echo "@nestctl-net"; echo "run $NESTCTL --socket $SOCK run --rm --network $NET $PW/true"
    if [ "$BACKEND" != none ]; then
        echo "@podman";     echo "run ${PODMAN[*]} --network none --rootfs $PW/true/rootfs /bin/true"
        echo "@podman-net"; echo "run ${PODMAN[*]} --network $PNET --rootfs $PW/true/rootfs /bin/true"
    fi
} >"$PW/run.spec"
"$ALT" seq -w 3 "$ROUNDS" "$PW/run.spec" >"$R/network-run.txt"

POD_ROUNDS=$(( ROUNDS < 100 ? ROUNDS : 100 ))
log "a pod of three against three runs, $POD_ROUNDS alternating rounds"
{
    echo "@three"; echo "run $PW/three.sh"
    echo "@pod3";  echo "run $PW/pod3.sh"
} >"$PW/pod.spec"
"$ALT" seq -w 2 "$POD_ROUNDS" "$PW/pod.spec" >"$R/network-pod.txt"
echo "POD_ROUNDS=$POD_ROUNDS" >>"$R/network.env"
