#!/bin/sh
# Installs the engines the engine tests drive, from Debian 12: podman 4.3,
# containerd 1.6 (and ctr), Docker 20.10 (docker.io), crun (the reference
# runtime every assertion is also made with), uidmap, and util-linux for
# `script` (a pty for -it). Idempotent; needs root.
# The machine may have no init system: their postinst scripts may not start
# containerd or dockerd (the tests start their own, on private state).
exec "$(dirname "$0")/../../scripts/apt-install.sh" --no-start "engines setup" \
	podman containerd docker.io crun runc conmon uidmap util-linux
