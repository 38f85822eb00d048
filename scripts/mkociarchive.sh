#!/bin/sh
# Makes an OCI image archive of one uncompressed layer, as `ctr images import`
# takes it (no registry, no network): an OCI image layout, tarred.
#   scripts/mkociarchive.sh ROOTFS_TAR NAME OUT
# ROOTFS_TAR: the layer (a tar of a root file system); NAME: the image's full
# name (io.containerd.image.name), e.g. docker.io/library/nest-busybox:latest;
# OUT: the archive written.
set -eu
[ $# = 3 ] || { echo "usage: $0 ROOTFS_TAR NAME OUT" >&2; exit 2; }
TAR="$1" NAME="$2" OUT="$3"
[ -f "$TAR" ] || { echo "$0: no layer tar at $TAR" >&2; exit 1; }
o="$(mktemp -d "${TMPDIR:-/tmp}/nest-oci.XXXXXX")"
trap 'rm -rf "$o"' EXIT
mkdir -p "$o/blobs/sha256"
# blob FILE: moved under its digest, which is printed
blob() {
	d="$(sha256sum "$1" | cut -d' ' -f1)"
	mv "$1" "$o/blobs/sha256/$d"
	echo "$d"
}
cp "$TAR" "$o/layer"
lsize=$(stat -c %s "$o/layer")
layer="$(blob "$o/layer")"
printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$(dpkg --print-architecture)" "$layer" > "$o/config"
csize=$(stat -c %s "$o/config")
cfg="$(blob "$o/config")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
	"$cfg" "$csize" "$layer" "$lsize" > "$o/manifest"
msize=$(stat -c %s "$o/manifest")
man="$(blob "$o/manifest")"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
	"$man" "$msize" "$NAME" > "$o/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$o/oci-layout"
tar -C "$o" -cf "$OUT" oci-layout index.json blobs
