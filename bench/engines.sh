#!/usr/bin/env bash
# Nest as the OCI runtime of the engines, against crun in the same engine, in
# one run: `podman run --rm` (podman --runtime) and `ctr run --rm
# --runc-binary` (containerd's runc v2 shim), /bin/true in the busybox rootfs
# of scripts/mkbundle.sh, alternating round by round. Called by bench/run.sh
# (see bench/README.md, "Engines"), which passes:
#   BINDIR  the Nest binaries          ALT   the timing driver (alt.c)
#   PW      an empty work dir of ours   R     the results dir
#   ROUNDS  alternating rounds          PFX   the prefix of this run's names
#   INSTALL 1 to install podman and containerd when missing
# Everything the engines make lives under $PW: podman's store, run root and
# tmp dir; containerd's root, state, sockets and FIFOs; both runtimes' --root.
# Names of ours: cgroup parents and the containerd namespace start with $PFX.
# Results (in $R): engines-podman.txt and engines-ctr.txt (alt seq),
# engines.env (versions, and why an engine was left out). Everything made
# here is removed on exit.
set -eu -o pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
NEST="$BINDIR/nest"
NS="${PFX}ctr"                      # containerd namespace; its cgroups are /$NS/ID
CG="${PFX}podman"                   # podman's --cgroup-parent
WARMUP=3
log() { printf 'bench: engines: %s\n' "$*" >&2; }
die() { printf 'bench: engines: error: %s\n' "$*" >&2; exit 1; }
export NEST_LIBEXEC="$BINDIR"
CONTAINERD_PID="" MADE_RUN_CONTAINERD=""
[ -e /run/containerd ] || MADE_RUN_CONTAINERD=1
CSOCK="$PW/containerd/containerd.sock"
CTR=(ctr --address "$CSOCK" --namespace "$NS")

cleanup() {
    local rc=$? id p cg m i rt
    trap - EXIT INT TERM
    set +e
    if [ -n "$CONTAINERD_PID" ]; then
        for id in $(timeout 10 "${CTR[@]}" task ls -q 2>/dev/null); do
            timeout 10 "${CTR[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1
            timeout 10 "${CTR[@]}" task delete -f "$id" >/dev/null 2>&1
        done
        for id in $(timeout 10 "${CTR[@]}" containers ls -q 2>/dev/null); do
            timeout 10 "${CTR[@]}" containers delete "$id" >/dev/null 2>&1
        done
        timeout 10 "${CTR[@]}" images rm "$IMG" >/dev/null 2>&1
        timeout 10 ctr --address "$CSOCK" namespaces rm "$NS" >/dev/null 2>&1
        kill -TERM "$CONTAINERD_PID" 2>/dev/null
        timeout 30 tail --pid="$CONTAINERD_PID" -f /dev/null
        kill -KILL "$CONTAINERD_PID" 2>/dev/null
    fi
    # podman's containers are removed by `run --rm`; one left by a failed run
    # is removed with its store
    [ -x "$PW/bin/podman" ] && timeout 60 "$PW/bin/podman" rm -a -f -t 0 >/dev/null 2>&1
    # shims, conmons, `podman container cleanup`s and inits that name our dir
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [ "$p" = $$ ] && continue
        tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$PW/" && kill -KILL "$p" 2>/dev/null
    done
    sleep 0.2
    for cg in $(find /sys/fs/cgroup -depth -type d \( -name "$NS" -o -name "$CG" \) 2>/dev/null); do
        for p in $(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    # The shims' sockets are under /run/containerd/s whatever the state dir,
    # named by a hash of address, namespace and id: ours are known by name.
    for rt in crun nest; do
        for i in smoke $(seq 0 $((WARMUP + ROUNDS))); do
            id="${PFX}ectr-$rt-$i"; [ "$i" = smoke ] && id="${PFX}esmoke-$rt"
            rm -f "/run/containerd/s/$(printf '%s' "$CSOCK/$NS/$id" | sha256sum | cut -d' ' -f1)"
        done
    done
    [ -z "$MADE_RUN_CONTAINERD" ] || { rmdir /run/containerd/s 2>/dev/null; rmdir /run/containerd 2>/dev/null; }
    for m in $(awk -v w="$PW/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    rm -rf --one-file-system "$PW"
    exit $rc
}
trap cleanup EXIT INT TERM

missing=""
for p in podman containerd; do command -v $p >/dev/null || missing="$missing $p"; done
if [ -n "$missing" ] && [ "${INSTALL:-1}" = 1 ]; then
    "$REPO/scripts/apt-install.sh" --no-start "bench: engines" podman containerd >&2 || log "installing$missing failed"
fi

mkdir -p "$PW/bin" "$PW/rt-root/crun" "$PW/rt-root/nest"
"$REPO/scripts/mkbundle.sh" "$PW/true" /bin/true >/dev/null
ROOTFS="$PW/true/rootfs"
: >"$R/engines.env"
note() { printf '%s=%q\n' "$1" "$2" >>"$R/engines.env"; }
note CRUN_VERSION "$(crun --version | awk 'NR == 1 {print $3}')"

# ---------------------------------------------------------------- podman
# A store, run root and tmp dir of our own, no system configuration read
# (as in Tests/engines/podman.sh). Each runtime is given through a two-line
# wrapper that puts its --root under $PW: podman passes its --runtime-flag
# to create and start but not to the `delete --force` of a --rm container,
# which would then look in the runtime's default root. crun's wrapper is the
# same, so both pay the same for it.
podman_section() {
    command -v podman >/dev/null || { note PODMAN_WHY "podman not installed"; return 0; }
    local P="$PW/podman" rt bin nofile nproc
    mkdir -p "$P/root" "$P/runroot" "$P/tmp" "$P/net"
    # Rootful podman asks for more open files and processes than a root
    # without CAP_SYS_RESOURCE may set: the limits in force, for both alike.
    nofile="$(ulimit -Hn)" nproc="$(ulimit -Hu)"
    [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
    cat >"$P/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
[network]
network_config_dir = "$P/net"
EOF
    cat >"$P/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$P/root"
runroot = "$P/runroot"
EOF
    # The flags too: conmon starts `podman container cleanup` with the flags
    # of the podman that made the container.
    { echo '#!/bin/sh'
      printf 'export CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q\n' "$P/containers.conf" "$P/storage.conf"
      printf 'exec podman --root %q --runroot %q --tmpdir %q --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --network-config-dir %q "$@"\n' \
          "$P/root" "$P/runroot" "$P/tmp" "$P/net"; } >"$PW/bin/podman"
    chmod 0755 "$PW/bin/podman"
    for rt in crun nest; do
        [ $rt = crun ] && bin=/usr/bin/crun || bin="$NEST"
        mkdir -p "$PW/rt/$rt"
        printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$bin" "$PW/rt-root/$rt" >"$PW/rt/$rt/$rt"
        chmod 0755 "$PW/rt/$rt/$rt"
    done
    note PODMAN_VERSION "$(podman --version | awk '{print $3}')"
    note CONMON_VERSION "$(conmon --version 2>/dev/null | awk 'NR == 1 {print $3}')"
    # The first run of a new store sets it up (its database, the lock):
    # once per runtime before the rounds, and a failure leaves podman out.
    for rt in crun nest; do
        if ! timeout 120 "$PW/bin/podman" --runtime "$PW/rt/$rt/$rt" run --rm --network none --cgroup-parent "/$CG" \
                --rootfs "$ROOTFS" /bin/true >"$PW/podman-smoke.out" 2>&1; then
            note PODMAN_WHY "podman run --rm with $rt fails: $(tail -c 300 "$PW/podman-smoke.out" | tr '\n' ' ')"
            return 0
        fi
    done
    log "podman run --rm, crun against nest, $ROUNDS alternating rounds"
    {
        for rt in crun nest; do
            echo "@podman-$rt"
            echo "run $PW/bin/podman --runtime $PW/rt/$rt/$rt run --rm --network none --cgroup-parent /$CG --rootfs $ROOTFS /bin/true"
        done
    } >"$PW/podman.spec"
    "$ALT" seq -w $WARMUP "$ROUNDS" "$PW/podman.spec" >"$R/engines-podman.txt"
}

# ---------------------------------------------------------------- containerd
# A containerd of our own (as in Tests/engines/containerd.sh: no CRI, a
# private root, state and socket), an image imported from an OCI archive of
# the same rootfs, and `ctr run --rm` with each runtime's binary as the shim's
# runc, its --root under $PW (--runc-root) and ctr's FIFOs there too.
ctr_section() {
    local p
    for p in containerd ctr containerd-shim-runc-v2; do
        command -v $p >/dev/null || { note CTR_WHY "$p not installed"; return 0; }
    done
    local C="$PW/containerd" rt bin
    mkdir -p "$C/root" "$C/state" "$C/opt" "$PW/fifo"
    cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CSOCK"
[ttrpc]
  address = "$CSOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOF
    note CONTAINERD_VERSION "$(containerd --version | awk '{print $3}')"
    containerd --config "$C/config.toml" </dev/null >"$C/containerd.log" 2>&1 &
    CONTAINERD_PID=$!
    for _ in $(seq 100); do [ -S "$CSOCK" ] && break; sleep 0.1; done
    [ -S "$CSOCK" ] || { note CTR_WHY "containerd did not start: $(tail -c 300 "$C/containerd.log" | tr '\n' ' ')"; return 0; }
    tar -C "$ROOTFS" -cf "$PW/busybox.tar" .
    "$REPO/scripts/mkociarchive.sh" "$PW/busybox.tar" "$IMG" "$PW/busybox-oci.tar"
    timeout 60 "${CTR[@]}" images import "$PW/busybox-oci.tar" >"$PW/ctr-import.out" 2>&1 \
        || { note CTR_WHY "ctr images import fails: $(tail -c 300 "$PW/ctr-import.out" | tr '\n' ' ')"; return 0; }
    for rt in crun nest; do
        [ $rt = crun ] && bin=/usr/bin/crun || bin="$NEST"
        if ! timeout 60 "${CTR[@]}" run --rm --fifo-dir "$PW/fifo" --runc-binary "$bin" --runc-root "$PW/rt-root/$rt" \
                "$IMG" "${PFX}esmoke-$rt" /bin/true >"$PW/ctr-smoke.out" 2>&1; then
            note CTR_WHY "ctr run --rm with $rt fails: $(tail -c 300 "$PW/ctr-smoke.out" | tr '\n' ' ')"
            return 0
        fi
    done
    log "ctr run --rm, crun against nest, $ROUNDS alternating rounds"
    {
        for rt in crun nest; do
            [ $rt = crun ] && bin=/usr/bin/crun || bin="$NEST"
            echo "@ctr-$rt"
            echo "run ${CTR[*]} run --rm --fifo-dir $PW/fifo --runc-binary $bin --runc-root $PW/rt-root/$rt $IMG {id} /bin/true"
        done
    } >"$PW/ctr.spec"
    ALT_PREFIX="${PFX}e" "$ALT" seq -w $WARMUP "$ROUNDS" "$PW/ctr.spec" >"$R/engines-ctr.txt"
}

IMG=docker.io/library/nest-bench-busybox:latest
podman_section
ctr_section
