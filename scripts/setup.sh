#!/bin/sh
# Installs what building and testing Nest needs on Debian 12. Idempotent.
set -eu
PKGS="gcc make libc6-dev libseccomp-dev libcap-dev busybox-static libxml2 curl jq util-linux systemd iproute2 strace socat python3 python3-venv libarchive-dev zstd containernetworking-plugins iptables"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] || {
    echo "setup: Swift 6 is required (expected at /opt/swift or on PATH)" >&2; exit 1; }
