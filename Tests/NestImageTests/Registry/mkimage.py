#!/usr/bin/env python3
"""Writes OCI image layouts of a busybox image for the registry tests.

  mkimage.py DIR            DIR/single: one linux/<host arch> image, tag v1:
                            three gzip layers (busybox + its links; /etc and
                            /tmp with a file etc/junk; a whiteout of etc/junk
                            and etc/motd), the same rootfs as scripts/mkbundle.sh.
                            DIR/multi: an index, tag v1, with that image and a
                            linux/arm64/v8 entry whose config differs.
Prints nothing; the tests read DIR/*/index.json.
"""
import gzip, hashlib, io, json, os, platform, subprocess, sys, tarfile

BUSYBOX = os.environ.get("BUSYBOX", "/bin/busybox")
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
          "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(platform.machine(), platform.machine())


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data, media_type):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + d, "size": len(data)}

    def index(self, manifests):
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": manifests}, f)


def tar_layer(entries):
    """entries: (name, kind, payload, mode); a fixed mtime keeps digests stable."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload, mode in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.mode = mode
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                t.addfile(info)
            else:
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    diff = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(diff)
    return gz.getvalue(), "sha256:" + hashlib.sha256(diff).hexdigest()


def layers():
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    one = [("bin", "dir", None, 0o755), ("bin/busybox", "file", bb, 0o755)]
    one += [("bin/" + a, "link", "busybox", 0o777) for a in applets if a != "busybox"]
    two = [("etc", "dir", None, 0o755), ("tmp", "dir", None, 0o1777), ("root", "dir", None, 0o700),
           ("proc", "dir", None, 0o755), ("sys", "dir", None, 0o755), ("dev", "dir", None, 0o755),
           ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0o644),
           ("etc/group", "file", b"root:x:0:\nnogroup:x:65534:\n", 0o644),
           ("etc/junk", "file", b"removed by the next layer\n", 0o644)]
    three = [("etc", "dir", None, 0o755), ("etc/.wh.junk", "file", b"", 0o644),
             ("etc/motd", "file", b"hello from a nest image\n", 0o644)]
    return [tar_layer(e) for e in (one, two, three)]


def image(layout, built, arch, variant=None):
    descs = [layout.blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip") for gz, _ in built]
    cfg = {"architecture": arch, "os": "linux",
           "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "Labels": {"nest.test.arch": arch}},
           "rootfs": {"type": "layers", "diff_ids": [d for _, d in built]}}
    if variant:
        cfg["variant"] = variant
    c = layout.blob(json.dumps(cfg, sort_keys=True).encode(), "application/vnd.oci.image.config.v1+json")
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": descs}
    d = layout.blob(json.dumps(m, sort_keys=True).encode(), "application/vnd.oci.image.manifest.v1+json")
    d["platform"] = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
    return d


def main():
    out = sys.argv[1]
    built = layers()
    single = Layout(os.path.join(out, "single"))
    d = image(single, built, GOARCH)
    d["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    single.index([d])
    multi = Layout(os.path.join(out, "multi"))
    host = image(multi, built, GOARCH)
    other = image(multi, built, "arm64" if GOARCH != "arm64" else "amd64", "v8" if GOARCH != "arm64" else None)
    inner = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [host, other]}
    idx = multi.blob(json.dumps(inner, sort_keys=True).encode(), "application/vnd.oci.image.index.v1+json")
    idx["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    multi.index([idx])


main()
