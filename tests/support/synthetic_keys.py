"""The key space of synthetic_s3.py: N registry-shaped keys, key(i) strictly
increasing in i (byte order), each computed in O(1) from i, so a listing can
binary-search any position and build any page without the key list.

About half the keys are blobs, `docker/registry/v2/blobs/sha256/XX/<hash>/data`,
the rest layer links, `docker/registry/v2/repositories/<repo>/_layers/sha256/<hash>/link`,
spread unevenly over a few hundred repos; every link names an existing blob.
Object content is a function of the key: a link holds "sha256:<hash>" (71
bytes), a blob 300 to 4096 bytes of filler ending in the same 71 bytes.

A KeySpace is immutable after construction: any thread may call it.
"""

import bisect
import hashlib
import random

BLOB_ROOT = "docker/registry/v2/blobs/sha256/"
REPO_ROOT = "docker/registry/v2/repositories/"
LINK_SIZE = 71
BLOB_MIN, BLOB_MAX = 300, 4096
MAX_REPOS = 300
_M64 = (1 << 64) - 1
_FILLER = random.Random(0x5EED).randbytes(BLOB_MAX)
# md5 of every filler prefix, so that a blob's ETag costs one 71-byte update.
_FILLER_MD5 = [hashlib.md5()]
for _n in range(1, BLOB_MAX - LINK_SIZE + 1):
    _FILLER_MD5.append(_FILLER_MD5[-1].copy())
    _FILLER_MD5[-1].update(_FILLER[_n - 1:_n])
# A hash's last 24 bytes: two table lookups instead of 192-bit arithmetic.
# The first 8 bytes alone keep hashes distinct and increasing.
_rng = random.Random(0x7A11)
_TAIL_A = [_rng.randbytes(12) for _ in range(1024)]
_TAIL_B = [_rng.randbytes(12) for _ in range(1024)]
_ORGS = ["acme", "analytics", "base-images", "ci", "data", "edge", "infra", "library",
         "ml", "mobile", "payments", "platform", "search", "security", "web"]
_APPS = ["api", "auth", "billing", "cache", "cron", "etl", "frontend", "gateway", "indexer",
         "ingest", "mailer", "nginx", "notifier", "postgres", "redis", "scheduler", "worker"]
_TEAMS = ["team-a", "team-b", "team-x"]  # a third level: org/team/app


def mix64(x):
    """A well-spread 64-bit value from x (two multiply-xorshift rounds)."""
    z = (x * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & _M64
    z = ((z ^ (z >> 32)) * 0xD6E8FEB86659FD93) & _M64
    return z ^ (z >> 32)


def repo_names(count):
    """count distinct repo names, ordered as their keys sort (name + "/").
    No name is a leading path of another, so each repo's keys are contiguous."""
    names = [f"{o}/{a}" for o in _ORGS for a in _APPS]
    names += [f"{o}/{t}/{a}" for o in _ORGS[:6] for t in _TEAMS for a in _APPS]
    names = random.Random(count).sample(names, count)
    return sorted(names, key=lambda n: n + "/")


class KeySpace:
    def __init__(self, n):
        if n < 0:
            raise ValueError("a negative key count")
        self.n = n
        self.blobs = (n + 1) // 2  # >= links, so every repo's links can name distinct blobs
        self.links = n - self.blobs
        self.repos = repo_names(min(MAX_REPOS, self.links))
        weights = [1 + mix64(r) % 50 for r in range(len(self.repos))]
        total, acc, starts = sum(weights), 0, []
        for w in weights:
            starts.append(self.links * acc // total)
            acc += w
        self.repo_start = starts + [self.links]
        # Per repo: (first link, link count, offset of its first blob, key prefix).
        self._repo = []
        for r, name in enumerate(self.repos):
            count = self.repo_start[r + 1] - starts[r]
            offset = mix64(r + 0x10000) % (self.blobs // count) if count else 0
            self._repo.append((starts[r], count, offset, REPO_ROOT + name + "/_layers/sha256/"))
        self._hi_step = (1 << 64) // self.blobs if self.blobs else 0

    def blob_hash(self, b):
        """(hex sha256, size) of blob b: increasing in b, spread evenly over
        the 256 XX folders."""
        z = mix64(b)
        hi = (b << 64) // self.blobs + z % self._hi_step
        h = (hi.to_bytes(8, "big") + _TAIL_A[z & 1023] + _TAIL_B[z >> 54]).hex()
        return h, BLOB_MIN + (z >> 12) % (BLOB_MAX - BLOB_MIN + 1)

    def link_blob(self, r, j):
        """The blob that link j of repo r names; increasing in j."""
        _, count, offset, _ = self._repo[r]
        return offset + j * self.blobs // count

    def entry(self, i):
        """(key, hash, size) of key i, 0 <= i < n."""
        if i < self.blobs:
            h, size = self.blob_hash(i)
            return BLOB_ROOT + h[:2] + "/" + h + "/data", h, size
        j = i - self.blobs
        start, count, offset, prefix = self._repo[bisect.bisect_right(self.repo_start, j) - 1]
        h = self.blob_hash(offset + (j - start) * self.blobs // count)[0]
        return prefix + h + "/link", h, LINK_SIZE

    def key(self, i):
        return self.entry(i)[0]

    @staticmethod
    def etag(h, size):
        tail = b"sha256:" + h.encode()
        if size == LINK_SIZE:
            return hashlib.md5(tail).hexdigest()
        m = _FILLER_MD5[size - LINK_SIZE].copy()
        m.update(tail)
        return m.hexdigest()

    @staticmethod
    def content(h, size):
        return _FILLER[:size - LINK_SIZE] + b"sha256:" + h.encode()

    def lower_bound(self, s, lo=0):
        """The first i >= lo with key(i) >= s (n if none)."""
        hi = self.n
        key = self.key
        while lo < hi:
            mid = (lo + hi) // 2
            if key(mid) < s:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def find(self, key):
        """The index of key, or None."""
        i = self.lower_bound(key)
        return i if i < self.n and self.key(i) == key else None

    def skip_prefix(self, i, prefix):
        """The first index after i whose key does not start with prefix, given
        that key(i) does. Gallops, so a short run costs a few key computations
        and a long one O(log n)."""
        key, n = self.key, self.n
        lo, step = i, 1  # key(lo) starts with prefix
        while lo + step < n and key(lo + step).startswith(prefix):
            lo += step
            step *= 2
        hi = min(lo + step, n)  # key(hi) does not, or hi == n
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if key(mid).startswith(prefix):
                lo = mid
            else:
                hi = mid
        return hi
