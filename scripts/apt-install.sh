#!/bin/sh
# Installs the Debian packages named that are not installed yet. Idempotent;
# installing needs root.
#   scripts/apt-install.sh [--no-start] WHO PKG...
# WHO names the caller in its messages. --no-start: while the packages
# install, a policy-rc.d that refuses every start keeps their postinst
# scripts from starting a service (the tests start their own, on private
# state); a policy-rc.d already present is kept as it is.
set -eu
nostart=""
if [ "${1:-}" = --no-start ]; then nostart=1; shift; fi
who="$1"; shift
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
[ "$(id -u)" = 0 ] || { echo "$who: needs root to install$missing" >&2; exit 1; }
POLICY=/usr/sbin/policy-rc.d
made_policy=""
if [ -n "$nostart" ] && [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# temporary: Nest package setup\nexit 101\n' > "$POLICY"
	chmod 0755 "$POLICY"
	made_policy=1
fi
trap '[ -z "$made_policy" ] || rm -f "$POLICY"' EXIT
echo "$who: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
