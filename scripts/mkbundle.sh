#!/bin/sh
# Builds an OCI bundle at DIR from the host's static busybox (Debian's
# busybox-static): DIR/rootfs and DIR/config.json (the default config of
# `nest spec`, process.terminal false, process.args = ARGS).
#   scripts/mkbundle.sh DIR [ARGS...]     (default ARGS: sh -c 'echo hello from nest')
# Idempotent: running it again refreshes the bundle. Prints DIR.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [ARGS...]" >&2; exit 2; }
DIR="$1"; shift
[ $# -gt 0 ] || set -- sh -c 'echo hello from nest'
BUSYBOX="${BUSYBOX:-/bin/busybox}"
[ -x "$BUSYBOX" ] || { echo "$0: $BUSYBOX not found (apt-get install busybox-static)" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || { echo "$0: jq not found (apt-get install jq)" >&2; exit 1; }
# The config comes from `nest spec`: $NEST, else the build tree's.
REPO="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${NEST:-}" ]; then
	for n in "${BINDIR:-/nonexistent}/nest" "$REPO/.build/debug/nest" "$REPO/.build/release/nest"; do
		[ -x "$n" ] && { NEST="$n"; break; }
	done
fi
[ -x "${NEST:-}" ] || { echo "$0: no nest binary (run scripts/build.sh, or set NEST)" >&2; exit 1; }

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
R="$DIR/rootfs"
mkdir -p "$R/bin" "$R/etc" "$R/proc" "$R/sys" "$R/dev"
mkdir -p -m 1777 "$R/tmp"; chmod 1777 "$R/tmp"
mkdir -p -m 0700 "$R/root"
rm -f "$R/bin/busybox.new"
cp "$BUSYBOX" "$R/bin/busybox.new" && chmod 0755 "$R/bin/busybox.new" && mv -f "$R/bin/busybox.new" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -sfn busybox "$R/bin/$a"
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$R/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$R/etc/group"

rm -f "$DIR/config.json"
"$NEST" spec --bundle "$DIR"
jq --argjson args "$(for a in "$@"; do printf '%s' "$a" | jq -Rs .; done | jq -s .)" \
	'.process.terminal = false | .process.args = $args' "$DIR/config.json" > "$DIR/config.json.new"
mv -f "$DIR/config.json.new" "$DIR/config.json"
echo "$DIR"
