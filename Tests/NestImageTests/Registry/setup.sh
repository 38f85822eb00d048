#!/bin/sh
# Installs what the registry tests drive, from Debian 12: docker-registry (the
# distribution registry, started by the tests on 127.0.0.1 with a config in a
# temp dir, never as a service) and skopeo (pushes the test images), and
# busybox-static (the test image's rootfs). Idempotent; needs root.
set -eu
PKGS="docker-registry skopeo busybox-static"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
[ "$(id -u)" = 0 ] || { echo "registry setup: needs root to install$missing" >&2; exit 1; }
# The package's postinst would start its own registry on :5000 where an init
# system runs: a policy-rc.d that refuses every start keeps it from doing so.
POLICY=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# temporary: Nest registry test setup\nexit 101\n' > "$POLICY"
	chmod 0755 "$POLICY"
	made_policy=1
fi
trap '[ -z "$made_policy" ] || rm -f "$POLICY"' EXIT
echo "registry setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
