#!/usr/bin/env bash
# Pull: `nestctl pull` of a 5-layer image from a registry on this machine
# against `skopeo copy docker://… oci:DIR` of the same image, in paired,
# alternating rounds, each from an empty store. Called by bench/run.sh (see
# bench/README.md, "Pull"), which passes:
#   BINDIR  the Nest binaries         ALT   the timing driver (alt.c)
#   PW      an empty work dir of ours  R     the results dir
#   ROUNDS  alternating rounds
# Results (in $R): pull.txt (alt seq), pull.env (facts for the report).
# Everything made here (registry, nestd, dirs) is removed on exit.
set -eu -o pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
NESTD="$BINDIR/nestd" NESTCTL="$BINDIR/nestctl"
SOCK="$PW/nestd.sock"
NESTD_PID="" REG_PID=""
log() { printf 'bench: pull: %s\n' "$*" >&2; }
die() { printf 'bench: pull: error: %s\n' "$*" >&2; exit 1; }
api() { curl -s --max-time 30 --unix-socket "$SOCK" "$@"; }
export NEST_SOCKET="$SOCK"      # nestctl's subcommand groups (image ...) take it from here

cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    set +e
    for p in "$NESTD_PID" "$REG_PID"; do
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null || continue
        kill -TERM "$p"
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$PW"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$PW"
: >"$R/pull.env"
fact() { printf '%s=%q\n' "$1" "$2" >>"$R/pull.env"; }
"$REPO/scripts/apt-install.sh" --no-start "bench: pull" docker-registry skopeo busybox-static >&2 || die "cannot install docker-registry and skopeo"

# ---------------------------------------------------------------- the image
# Five gzip'd layers, lowest first, as an image build makes them: a busybox
# rootfs (scripts/mkbundle.sh), many small files (the host's zoneinfo),
# a language runtime (the host's Python 3 standard library: large files and
# small), a second one (perl-base's modules), and a small top layer that
# changes /etc and whites out a zoneinfo dir. Host dirs are copied as they
# are; tar's --sort, --mtime and gzip -n keep one machine's digests stable.
NEST="$BINDIR/nest" "$REPO/scripts/mkbundle.sh" "$PW/base" true >/dev/null
PY="$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | head -n 1)"
PERL="$(ls -d /usr/lib/x86_64-linux-gnu/perl-base /usr/lib/*/perl-base 2>/dev/null | head -n 1)"
[ -d /usr/share/zoneinfo ] && [ -n "$PY" ] && [ -n "$PERL" ] \
    || die "needs /usr/share/zoneinfo, /usr/lib/python3.X and perl-base's modules on this host (tzdata, python3, perl-base)"
stage() {  # DIR SRC DEST: SRC copied to DIR/DEST
    mkdir -p "$1/$(dirname "$3")"
    cp -a "$2" "$1/$3"
}
stage "$PW/l2" /usr/share/zoneinfo usr/share/zoneinfo
stage "$PW/l3" "$PY" "${PY#/}"
stage "$PW/l4" "$PERL" "${PERL#/}"
mkdir -p "$PW/l5/etc" "$PW/l5/usr/share/zoneinfo"
printf 'bench image, top layer\n' >"$PW/l5/etc/motd"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$PW/l5/etc/passwd"
: >"$PW/l5/usr/share/zoneinfo/.wh.Antarctica"

L="$PW/layout"
mkdir -p "$L/blobs/sha256"
blob() {  # FILE MEDIATYPE -> a descriptor; FILE moves into the layout
    local hex size
    hex="$(sha256sum "$1" | cut -d' ' -f1)"; size="$(stat -c %s "$1")"
    mv "$1" "$L/blobs/sha256/$hex"
    jq -n --arg m "$2" --arg d "sha256:$hex" --argjson s "$size" '{mediaType: $m, digest: $d, size: $s}'
}
LAYERS="[]" DIFFS="[]" UNPACKED=0 FILES=0
for src in "$PW/base/rootfs" "$PW/l2" "$PW/l3" "$PW/l4" "$PW/l5"; do
    UNPACKED=$((UNPACKED + $(du -sk "$src" | cut -f1)))
    FILES=$((FILES + $(find "$src" | wc -l)))
    tar --numeric-owner --sort=name --mtime=@1700000000 -C "$src" -cf "$PW/layer.tar" .
    DIFFS="$(jq -c --arg d "sha256:$(sha256sum "$PW/layer.tar" | cut -d' ' -f1)" '. + [$d]' <<<"$DIFFS")"
    gzip -n -6 "$PW/layer.tar"
    LAYERS="$(jq -c --argjson l "$(blob "$PW/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)" '. + [$l]' <<<"$LAYERS")"
done
rm -rf "$PW/l2" "$PW/l3" "$PW/l4" "$PW/l5"
jq -n --argjson d "$DIFFS" '{architecture: "amd64", os: "linux", created: "2024-01-02T03:04:05Z",
    config: {Cmd: ["true"], Env: ["PATH=/bin"]}, rootfs: {type: "layers", diff_ids: $d}}' >"$PW/config.json"
CONFIG="$(blob "$PW/config.json" application/vnd.oci.image.config.v1+json)"
jq -n --argjson c "$CONFIG" --argjson l "$LAYERS" '{schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c, layers: $l}' >"$PW/manifest.json"
MANIFEST="$(blob "$PW/manifest.json" application/vnd.oci.image.manifest.v1+json)"
jq -n --argjson m "$MANIFEST" '{schemaVersion: 2, manifests: [($m + {annotations: {"org.opencontainers.image.ref.name": "5"}})]}' >"$L/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
fact PULL_LAYERS "$(jq length <<<"$LAYERS")"
fact PULL_COMPRESSED_KB "$(( $(jq '[.[].size] | add' <<<"$LAYERS") / 1024 ))"
fact PULL_UNPACKED_KB "$UNPACKED"
fact PULL_FILES "$FILES"

# ---------------------------------------------------------------- the registry
# Debian's docker-registry on 127.0.0.1, a free port, storage in our dir.
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$PW/registry"
cat >"$PW/registry/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $PW/registry/storage
http:
  addr: 127.0.0.1:$PORT
CONF
/usr/bin/docker-registry serve "$PW/registry/config.yml" >"$PW/registry/log" 2>&1 &
REG_PID=$!
for _ in $(seq 200); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break
    kill -0 "$REG_PID" 2>/dev/null || die "docker-registry exited: $(tail -c 300 "$PW/registry/log")"
    sleep 0.05
done
REF="127.0.0.1:$PORT/bench/pull:5"
skopeo copy --quiet --dest-tls-verify=false "oci:$L:5" "docker://$REF" >&2 || die "skopeo could not push the image"

# ---------------------------------------------------------------- nestd of our own
mkdir -p "$PW/root" "$PW/data"
"$NESTD" --socket "$SOCK" --root "$PW/root" --data "$PW/data" --log-level warning </dev/null >"$PW/nestd.log" 2>&1 &
NESTD_PID=$!
for _ in $(seq 200); do
    [ -S "$SOCK" ] && api -o /dev/null -w '%{http_code}' http://nestd/v1/version 2>/dev/null | grep -q 200 && break
    kill -0 "$NESTD_PID" 2>/dev/null || die "nestd exited: $(tail -c 300 "$PW/nestd.log")"
    sleep 0.05
done

# One pull of each first, checked: both must succeed before anything is timed.
"$NESTCTL" --socket "$SOCK" pull --insecure --quiet "$REF" >/dev/null 2>"$PW/pull.err" \
    || die "nestctl pull failed: $(cat "$PW/pull.err")"
skopeo copy --quiet --src-tls-verify=false "docker://$REF" "oci:$PW/oci:5" >/dev/null 2>"$PW/pull.err" \
    || die "skopeo copy failed: $(cat "$PW/pull.err")"

# ---------------------------------------------------------------- rounds
# Each round starts from nothing: nest's image removed and its blobs and
# layer dirs pruned (the check that the store is empty is part of the
# untimed step), skopeo's layout dir removed.
EMPTY="$NESTCTL image rm $REF >/dev/null 2>&1; $NESTCTL image prune >/dev/null"
EMPTY="$EMPTY && [ -z \"\$(find $PW/data/images/blobs/sha256 $PW/data/images/layers/sha256 -mindepth 1 -maxdepth 1)\" ]"
log "nestctl pull vs skopeo copy of $REF, $ROUNDS alternating rounds"
{ echo "@skopeo"
  echo "-empty !rm -rf $PW/oci"
  echo "pull skopeo copy --quiet --src-tls-verify=false docker://$REF oci:$PW/oci:5"
  echo "@nestctl"
  echo "-empty !$EMPTY"
  echo "pull $NESTCTL --socket $SOCK pull --insecure --quiet $REF"; } >"$PW/pull.spec"
"$ALT" seq -w 1 "$ROUNDS" "$PW/pull.spec" >"$R/pull.txt"
