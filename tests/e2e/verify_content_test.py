#!/usr/bin/env python3
"""`verify --content` reads what it says it proves, against the real
gateway: a backup made without the index carries each file's ETag in its
run manifest (from the attribute the download wrote), so verifying the
folder against that manifest reads every file and finds a byte changed
under the same size and mtime; and where no ETag is known at all (two
folders) it says NOT PROVEN and exits 1, never OK with nothing read.

Reads GWSYNC_BIN and the gateway's env (tools/test.sh sets them).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import GatewayCase  # noqa: E402


class VerifyContentTest(GatewayCase, unittest.TestCase):
    def test_a_backup_without_the_index_is_read_and_proven(self):
        src = self.bucket("gwt-vcontent", {f"f{i}": os.urandom(1000) for i in range(3)})
        backup = os.path.join(self.work, "backup")
        self.ok("sync", "--no-index", f"s3://{src}", backup)
        latest = os.path.join(backup, ".gwsync", "manifest-latest")
        r = self.ok("verify", latest, backup, "--content")
        self.assertIn("3 files read", r.stdout)
        self.assertIn("verify: OK", r.stdout)

        path = os.path.join(backup, "f1")
        st = os.stat(path)
        with open(path, "r+b") as f:
            first = f.read(1)
            f.seek(0)
            f.write(bytes([first[0] ^ 1]))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        r = self.gwsync("verify", latest, backup, "--content")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("different f1: content differs", r.stdout)

    def test_nothing_read_is_not_proven(self):
        a, b = os.path.join(self.work, "a"), os.path.join(self.work, "b")
        for d in (a, b):
            os.makedirs(d)
            with open(os.path.join(d, "k"), "w") as f:
                f.write("same size")
            os.utime(os.path.join(d, "k"), (1600000000, 1600000000))
        r = self.gwsync("verify", a, b, "--content")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("1 not read (no ETag to check them against)", r.stdout)
        self.assertIn("verify: NOT PROVEN", r.stdout)
        self.assertEqual(self.gwsync("verify", a, b).returncode, 0)  # sizes alone were asked


if __name__ == "__main__":
    unittest.main(verbosity=2)
