#!/usr/bin/env python3
"""--bwlimit and --endpoint-bwlimit against the real gateways: a transfer of
ten seconds' worth of bytes at the limit moves at the limit, within 5%, in
both directions, over one gateway and over several.

Each run moves LIMIT * 10 s, so a rate above the limit (the limiter lets too
much through) and a rate well under it (it stalls transfers) both fail.

Reads GWSYNC_BIN and GWSYNC_TEST_ENDPOINTS/ACCESS_KEY/SECRET_KEY from the
environment (tools/test.sh sets them); fails, never skips, without them.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import data_of, gwsync_env, require  # noqa: E402

MiB = 1 << 20
LIMIT = 4 * MiB  # bytes/s
SECONDS = 10


class RateLimitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = require("GWSYNC_BIN")
        cls.endpoints = require("GWSYNC_TEST_ENDPOINTS").split()
        cls.tmp = tempfile.mkdtemp(prefix="gwsync-ratelimit-")
        cls.env = gwsync_env(cls.tmp)
        cls.bucket = f"gwsync-ratelimit-{os.getpid()}"
        cls.data = data_of(LIMIT * SECONDS, 7)
        cls.src = os.path.join(cls.tmp, "src")
        with open(cls.src, "wb") as f:
            f.write(cls.data)
        r = cls.run_gwsync(cls.endpoints[:1], "mb", f"s3://{cls.bucket}")
        assert r.returncode == 0, r.stderr
        r = cls.run_gwsync(cls.endpoints[:1], "put", cls.src, f"s3://{cls.bucket}/object")
        assert r.returncode == 0, r.stderr
        # The same bytes as 160 objects of 256 KiB, for many transfers at once.
        cls.tree = os.path.join(cls.tmp, "tree")
        os.makedirs(cls.tree)
        piece = len(cls.data) // 160
        for i in range(160):
            with open(os.path.join(cls.tree, f"p{i:03d}"), "wb") as f:
                f.write(cls.data[i * piece:(i + 1) * piece])
        r = cls.run_gwsync(cls.endpoints[:1], "sync", "--no-index", "--quiet", cls.tree,
                           f"s3://{cls.bucket}/tree")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.run_gwsync(cls.endpoints[:1], "rb", "--force", f"s3://{cls.bucket}")
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_gwsync(cls, endpoints, *args):
        flags = [a for e in endpoints for a in ("--endpoint", e)]
        return subprocess.run([cls.bin, *flags, *args], env=cls.env, capture_output=True,
                              text=True, timeout=120)

    def assertAtLimit(self, endpoints, *args):
        start = time.monotonic()
        r = self.run_gwsync(endpoints, *args)
        seconds = time.monotonic() - start
        self.assertEqual(r.returncode, 0, r.stderr)
        rate = len(self.data) / seconds
        self.assertGreaterEqual(rate, 0.95 * LIMIT, f"{rate / MiB:.2f} MiB/s in {seconds:.1f} s")
        self.assertLessEqual(rate, 1.05 * LIMIT, f"{rate / MiB:.2f} MiB/s in {seconds:.1f} s")

    def assertDownloaded(self, path):
        with open(path, "rb") as f:
            self.assertTrue(f.read() == self.data, "downloaded bytes differ")
        os.unlink(path)

    def test_download_at_bwlimit(self):
        out = os.path.join(self.tmp, "get")
        self.assertAtLimit(self.endpoints[:1], "--bwlimit", "4M", "get",
                           f"s3://{self.bucket}/object", out)
        self.assertDownloaded(out)

    def test_multipart_upload_over_every_gateway_at_bwlimit(self):
        self.assertAtLimit(self.endpoints, "--bwlimit", "4M", "--part-size", "5MiB",
                           "--multipart-threshold", "5MiB", "put", self.src,
                           f"s3://{self.bucket}/up")
        out = os.path.join(self.tmp, "up")
        r = self.run_gwsync(self.endpoints[:1], "get", f"s3://{self.bucket}/up", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertDownloaded(out)

    # Two gateways at 2 MiB/s each: 4 MiB/s together while many transfers
    # keep both busy, and no transfer is starved: the whole tree arrives.
    def test_sync_download_at_endpoint_bwlimit(self):
        self.assertGreaterEqual(len(self.endpoints), 2, "needs two gateways")
        out = os.path.join(self.tmp, "back")
        self.assertAtLimit(self.endpoints[:2], "--endpoint-bwlimit", "2M", "sync", "--no-index",
                           "--quiet", f"s3://{self.bucket}/tree", out)
        got = b""
        names = sorted(n for n in os.listdir(out) if n != ".gwsync")  # not the run manifest
        for name in names:
            with open(os.path.join(out, name), "rb") as f:
                got += f.read()
        self.assertEqual(len(names), 160)
        self.assertTrue(got == self.data, "downloaded bytes differ")
        shutil.rmtree(out)


if __name__ == "__main__":
    unittest.main()
