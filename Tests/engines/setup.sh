#!/bin/sh
# Installs the engines the engine tests drive, from Debian 12: podman 4.3,
# containerd 1.6 (and ctr), Docker 20.10 (docker.io), crun (the reference
# runtime every assertion is also made with), uidmap, and util-linux for
# `script` (a pty for -it). Idempotent; needs root.
# The machine may have no init system: while the packages install, a
# policy-rc.d that refuses every start keeps their postinst scripts from
# starting containerd or dockerd (the tests start their own, on private
# state). One already present is kept as it is.
set -eu
PKGS="podman containerd docker.io crun runc conmon uidmap util-linux"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
[ "$(id -u)" = 0 ] || { echo "engines setup: needs root to install$missing" >&2; exit 1; }
POLICY=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# temporary: Nest engine test setup\nexit 101\n' > "$POLICY"
	chmod 0755 "$POLICY"
	made_policy=1
fi
trap '[ -z "$made_policy" ] || rm -f "$POLICY"' EXIT
echo "engines setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
