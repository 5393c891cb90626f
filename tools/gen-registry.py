#!/usr/bin/env python3
"""Generate a deterministic tree shaped like a Docker registry's storage.

usage: tools/gen-registry.py DEST [--size 200MiB] [--seed 1] [--blobs N]
                             [--repos N]

Writes, under DEST (which must be absent or empty):

  docker/registry/v2/blobs/sha256/<xx>/<digest>/data
      layer blobs of seeded pseudo-random bytes, image configs and manifests
      (JSON); <digest> is the sha256 of the content, <xx> its first two hex
      digits, exactly as the registry stores them
  docker/registry/v2/repositories/<name>/_layers/sha256/<digest>/link
  docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<digest>/link
  docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/current/link
  docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/index/sha256/<digest>/link
      71-byte link files holding "sha256:<digest>"

Layer sizes: most are small (1 KiB to 64 KiB, like configs and tiny layers),
the rest log-uniform from 64 KiB up to a cap (a quarter of --size, at most
512 MiB); from --size 128MiB on, one layer takes a third to a half of --size
(at most 768 MiB) so there is always a big one. The layers add up to --size
(the last one is trimmed), or, with --blobs N, there are N layers scaled to
add up to about --size. Every layer belongs to one repository and about a
third are shared with one to three more. Each repository has one image
(config + manifest blob, tag "latest").

Every file and directory gets a seeded mtime within 2024 (whole seconds), so
a restore can be checked for them. The same --size, --seed, --blobs and
--repos give a byte-identical tree with identical mtimes. A one-line summary
goes to stderr. Generation runs at a few hundred MiB/s (disk permitting).
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import time

CHUNK = 1 << 20
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
MTIME_LO = 1704067200  # 2024-01-01T00:00:00Z
MTIME_HI = 1735689600  # 2025-01-01T00:00:00Z
REPO_NAMES = [
    "library/postgres", "library/nginx", "library/redis", "platform/api",
    "platform/worker", "platform/web", "data/etl", "data/notebook",
    "ops/ceph-tools", "ops/backup-agent", "ml/trainer", "ml/serving",
]
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def parse_size(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B?)\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(
            f"bad size {text!r} (e.g. 200MiB, 1GiB, 500M, 1048576)")
    mult = {"": 1, "K": KIB, "M": MIB, "G": GIB, "T": 1 << 40}[m.group(2).upper()]
    n = int(float(m.group(1)) * mult)
    if n < KIB:
        raise argparse.ArgumentTypeError("--size must be at least 1KiB")
    return n


def layer_sizes(rng, total, count):
    """Sizes of the layer blobs, a deterministic function of rng's state."""
    cap = max(64 * KIB, min(512 * MIB, total // 4))

    def draw():
        if rng.random() < 0.55:
            lo, hi = KIB, 64 * KIB
        else:
            lo, hi = 64 * KIB, max(64 * KIB + 1, cap)
        return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))

    sizes = []
    if total >= 128 * MIB:
        sizes.append(min(768 * MIB, rng.randrange(total // 3, total // 2)))
    if count is None:
        while sum(sizes) < total:
            sizes.append(draw())
        sizes[-1] -= sum(sizes) - total
        if sizes[-1] < KIB and len(sizes) > 1:  # fold a sliver into its neighbour
            sizes[-2] += sizes.pop()
        sizes[-1] = max(sizes[-1], 1)
    else:
        sizes = sizes[:count]
        while len(sizes) < count:
            sizes.append(draw())
        scale = total / sum(sizes)
        sizes = [max(KIB, int(s * scale)) for s in sizes]
    rng.shuffle(sizes)
    return sizes


class Tree:
    def __init__(self, dest, rng):
        self.dest = dest
        self.root = os.path.join(dest, "docker", "registry", "v2")
        self.rng = rng  # mtimes only, drawn in a fixed order
        self.files = 0
        self.bytes = 0
        self.blobs = {}  # digest -> size

    def _mtime(self):
        return self.rng.randrange(MTIME_LO, MTIME_HI)

    def _finish(self, path, size):
        t = self._mtime()
        os.utime(path, (t, t))
        self.files += 1
        self.bytes += size

    def blob_from_chunks(self, chunks):
        """Write a blob from an iterable of byte chunks; return its digest."""
        tmpdir = os.path.join(self.root, "blobs", "sha256")
        os.makedirs(tmpdir, exist_ok=True)
        tmp = os.path.join(tmpdir, ".gen-registry.tmp")
        h = hashlib.sha256()
        size = 0
        with open(tmp, "wb") as f:
            for chunk in chunks:
                h.update(chunk)
                f.write(chunk)
                size += len(chunk)
        digest = h.hexdigest()
        d = os.path.join(tmpdir, digest[:2], digest)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "data")
        os.replace(tmp, path)
        if digest not in self.blobs:
            self._finish(path, size)
            self.blobs[digest] = size
        return digest

    def random_blob(self, seed, index, size):
        r = random.Random(f"gen-registry/{seed}/layer/{index}")

        def chunks():
            left = size
            while left > 0:
                n = min(CHUNK, left)
                yield r.randbytes(n)
                left -= n

        return self.blob_from_chunks(chunks())

    def json_blob(self, obj):
        return self.blob_from_chunks(
            [json.dumps(obj, indent=3, sort_keys=True).encode() + b"\n"])

    def link(self, rel, digest):
        d = os.path.join(self.root, "repositories", rel)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "link")
        body = f"sha256:{digest}".encode()
        assert len(body) == 71
        with open(path, "wb") as f:
            f.write(body)
        self._finish(path, len(body))

    def stamp_dirs(self):
        """Seeded mtimes on every directory, children before parents."""
        dirs = []
        for top, subdirs, _ in os.walk(os.path.join(self.dest, "docker")):
            subdirs.sort()
            dirs.append(top)
        for d in sorted(dirs, key=lambda p: (-p.count(os.sep), p)):
            t = self._mtime()
            os.utime(d, (t, t))


def main():
    ap = argparse.ArgumentParser(
        description="Generate a deterministic Docker-registry-like tree.",
        epilog="Same arguments => byte-identical tree, same mtimes.")
    ap.add_argument("dest", metavar="DEST")
    ap.add_argument("--size", type=parse_size, default=parse_size("200MiB"),
                    help="total bytes of layer blobs (default 200MiB)")
    ap.add_argument("--seed", type=int, default=1, help="default 1")
    ap.add_argument("--blobs", type=int, metavar="N",
                    help="number of layer blobs (default: as many as --size takes)")
    ap.add_argument("--repos", type=int, metavar="N",
                    help=f"repositories, 1..{len(REPO_NAMES)} (default: from the blob count)")
    a = ap.parse_args()
    if a.blobs is not None and a.blobs < 1:
        ap.error("--blobs must be at least 1")
    if a.repos is not None and not 1 <= a.repos <= len(REPO_NAMES):
        ap.error(f"--repos must be 1..{len(REPO_NAMES)}")
    if os.path.exists(a.dest) and (not os.path.isdir(a.dest) or os.listdir(a.dest)):
        ap.error(f"{a.dest} exists and is not an empty directory")

    start = time.monotonic()
    rng = random.Random(f"gen-registry/{a.seed}/plan")
    sizes = layer_sizes(rng, a.size, a.blobs)
    nrepos = a.repos or max(2, min(len(REPO_NAMES), len(sizes) // 6))
    repos = REPO_NAMES[:nrepos]
    # owner, then about a third of the layers shared with 1..3 more repos
    members = {r: [] for r in repos}
    for i in range(len(sizes)):
        owners = {rng.randrange(nrepos)}
        if nrepos > 1 and rng.random() < 0.35:
            owners |= set(rng.sample(range(nrepos), min(nrepos - 1, rng.randint(1, 3))))
        for o in sorted(owners):
            members[repos[o]].append(i)

    os.makedirs(a.dest, exist_ok=True)
    tree = Tree(a.dest, random.Random(f"gen-registry/{a.seed}/mtime"))
    digests = [tree.random_blob(a.seed, i, s) for i, s in enumerate(sizes)]
    for name in repos:
        layers = members[name]
        config = tree.json_blob({
            "architecture": "amd64", "os": "linux",
            "config": {"Labels": {"org.opencontainers.image.title": name}},
            "rootfs": {"type": "layers",
                       "diff_ids": [f"sha256:{digests[i]}" for i in layers]},
        })
        manifest = tree.json_blob({
            "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "size": tree.blobs[config],
                       "digest": f"sha256:{config}"},
            "layers": [{"mediaType": LAYER_TYPE, "size": sizes[i],
                        "digest": f"sha256:{digests[i]}"} for i in layers],
        })
        for d in sorted({digests[i] for i in layers} | {config}):
            tree.link(f"{name}/_layers/sha256/{d}", d)
        tree.link(f"{name}/_manifests/revisions/sha256/{manifest}", manifest)
        tree.link(f"{name}/_manifests/tags/latest/current", manifest)
        tree.link(f"{name}/_manifests/tags/latest/index/sha256/{manifest}", manifest)
    tree.stamp_dirs()

    secs = time.monotonic() - start
    print(f"gen-registry: {a.dest}: {tree.files} files ({len(tree.blobs)} blobs, "
          f"largest {max(tree.blobs.values()) / MIB:.1f} MiB; "
          f"{tree.files - len(tree.blobs)} links; {nrepos} repositories), "
          f"{tree.bytes} bytes ({tree.bytes / MIB:.1f} MiB), seed {a.seed}, "
          f"{secs:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
