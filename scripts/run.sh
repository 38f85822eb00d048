#!/bin/sh
# The main job: builds Nest, starts nestd on a local socket and runs a
# container from a default busybox bundle through it, printing its output.
#   scripts/run.sh [ARGS...]           (default: sh -c 'echo hello from nest; ...')
#   scripts/run.sh --image [ARGS...]   the same from an image: a busybox image
#       of three layers is pushed to a local registry (Debian's
#       docker-registry on 127.0.0.1, started here and stopped at the end),
#       pulled with `nestctl pull` and run with `nestctl run --rm IMAGE`.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
[ "$(id -u)" = 0 ] || { echo "run: nestd needs root (namespaces, cgroups)" >&2; exit 1; }
IMAGE_MODE=""
if [ "${1:-}" = --image ]; then IMAGE_MODE=1; shift; fi
scripts/setup.sh
BINDIR="$(scripts/build.sh "${NEST_BUILD:-release}" | tail -n 1)"
WORK="${NEST_WORK:-/tmp/nest-main}"
mkdir -p "$WORK"
BUNDLE="$WORK/bundle"
SOCK="$WORK/nestd.sock"
"$BINDIR/nestd" --socket "$SOCK" --root "$WORK/run" --data "$WORK/data" --log-level warning &
NESTD=$!
REGISTRY=""
trap 'kill -TERM $NESTD 2>/dev/null; wait $NESTD 2>/dev/null || true; [ -z "$REGISTRY" ] || kill $REGISTRY 2>/dev/null || true' EXIT INT TERM
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
if [ $# -eq 0 ]; then set -- sh -c 'echo hello from nest: PID 1 is $(cat /proc/1/comm), host $(hostname)'; fi
if [ -z "$IMAGE_MODE" ]; then
	NEST="$BINDIR/nest" scripts/mkbundle.sh "$BUNDLE" "$@" >/dev/null
	"$BINDIR/nestctl" --socket "$SOCK" run --rm "$BUNDLE"
	exit
fi

# The image path: a registry of our own, an image pushed to it, pulled and run.
REG_HELPERS=Tests/NestImageTests/Registry
scripts/apt-install.sh --no-start "run: registry" docker-registry skopeo busybox-static
rm -rf "$WORK/registry"; mkdir -p "$WORK/registry/storage"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat > "$WORK/registry/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/storage
http:
  addr: 127.0.0.1:$PORT
CONF
/usr/bin/docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry/log" 2>&1 &
REGISTRY=$!
i=0; while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; do
	i=$((i+1)); [ $i -lt 100 ] || { echo "run: the registry did not start: $(cat "$WORK/registry/log")" >&2; exit 1; }
	sleep 0.1
done
python3 "$REG_HELPERS/mkimage.py" "$WORK/registry/layouts"
IMAGE="127.0.0.1:$PORT/nest/busybox:1"
skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/registry/layouts/single:v1" "docker://$IMAGE"
"$BINDIR/nestctl" --socket "$SOCK" pull --insecure "$IMAGE"
"$BINDIR/nestctl" --socket "$SOCK" run --rm "$IMAGE" "$@"
