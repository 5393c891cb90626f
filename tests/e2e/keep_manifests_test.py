"""--keep-manifests against the real RGW: after N + 2 backups of a bucket
exactly N run manifests remain in the backup's .gwsync/ (the newest, one of
them the latest), a file of the user's there is left alone, the summary
counts what went, and `gwsync verify` of the folder and of manifest-latest
against the bucket still passes.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gwtest import data_of, gwsync_env, require  # noqa: E402


class KeepManifestsTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.work = tempfile.mkdtemp(prefix="gwsync-keep-")
        self.env = gwsync_env(self.work)
        self.bucket = f"gwt-keep-{os.getpid()}-{int(time.time() * 1000) % 100000}"

    def tearDown(self):
        self.gwsync("rb", "--force", f"s3://{self.bucket}")
        shutil.rmtree(self.work, ignore_errors=True)

    def gwsync(self, *args):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, *args], env=self.env,
                              capture_output=True, text=True, timeout=300)

    def test_n_plus_two_backups_leave_n(self):
        src = os.path.join(self.work, "src")
        os.makedirs(src)
        with open(os.path.join(src, "a"), "wb") as f:
            f.write(data_of(5000, 1))
        r = self.gwsync("sync", "--no-index", src, f"s3://{self.bucket}")
        self.assertEqual(r.returncode, 0, r.stderr)
        dst = os.path.join(self.work, "backup")
        state = os.path.join(dst, ".gwsync")
        keep = 3
        removed = []
        for night in range(keep + 2):
            r = self.gwsync("sync", "--keep-manifests", str(keep), "--json",
                            f"s3://{self.bucket}", dst)
            self.assertEqual(r.returncode, 0, r.stderr)
            removed.append(json.loads(r.stdout)["manifests_removed"])
            if night == 0:
                with open(os.path.join(state, "notes.txt"), "w") as f:
                    f.write("mine")
        self.assertEqual(removed, [0, 0, 0, 1, 1])
        manifests = sorted(os.path.basename(p)
                           for p in glob.glob(os.path.join(state, "manifest-*.jsonl.zst")))
        self.assertEqual(len(manifests), keep, manifests)
        with open(os.path.join(state, "manifest-latest")) as f:
            self.assertEqual(f.read().strip(), manifests[-1])
        self.assertTrue(os.path.exists(os.path.join(state, "notes.txt")))

        # The summary line, and 0 keeps all.
        r = self.gwsync("sync", "--keep-manifests", "1", f"s3://{self.bucket}", dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("manifests: 3 older run manifests removed (--keep-manifests 1)", r.stdout)
        r = self.gwsync("sync", "--keep-manifests", "0", f"s3://{self.bucket}", dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("removed", r.stdout)
        self.assertEqual(len(glob.glob(os.path.join(state, "manifest-*.jsonl.zst"))), 2)

        for what in (dst, os.path.join(state, "manifest-latest")):
            v = self.gwsync("verify", what, f"s3://{self.bucket}")
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertIn("verify: OK", v.stdout)


if __name__ == "__main__":
    unittest.main()
