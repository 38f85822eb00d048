#!/bin/sh
# Installs what building and testing Nest needs on Debian 12. Idempotent.
set -eu
"$(dirname "$0")/apt-install.sh" setup gcc make libc6-dev libseccomp-dev libcap-dev busybox-static libxml2 curl jq \
    util-linux systemd iproute2 strace socat python3 python3-venv libarchive-dev zstd containernetworking-plugins iptables
command -v swift >/dev/null 2>&1 || [ -x /opt/swift/usr/bin/swift ] || {
    echo "setup: Swift 6 is required (expected at /opt/swift or on PATH)" >&2; exit 1; }
