"""sync at scale, against a synthetic bucket far larger than a whole listing
held in memory would allow (tests/support/synthetic_s3.py generates its
registry-shaped keys as they are listed; no Ceph needed):

- peak RSS of a --dry-run --no-index backup stays flat between 100 k and
  1 M keys, and under 128 MiB;
- the first GET is sent before 5 % of the listing pages have been served;
- a complete backup of 50 k keys lands whole, and the re-sync sends no GET.

Peak RSS is the gwsync process's own (wait4), not the test's.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gwtest import clean_env, require  # noqa: E402
from synthetic_s3 import SyntheticS3  # noqa: E402

MiB = 1 << 20


class ScaleTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.work = tempfile.mkdtemp(prefix="gwsync-scale-")
        self.env = clean_env(os.path.join(self.work, "home"))
        os.makedirs(self.env["HOME"])
        self.env.update(AWS_ACCESS_KEY_ID="synthetic", AWS_SECRET_ACCESS_KEY="synthetic-secret")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def gwsync(self, endpoint, *args):
        return [self.bin, "--endpoint", endpoint, *args]

    def run_measured(self, cmd):
        """Runs cmd; returns (exit code, stdout, stderr, peak RSS in bytes)."""
        out_path = os.path.join(self.work, "out")
        err_path = os.path.join(self.work, "err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=self.env)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        with open(out_path) as f:
            stdout = f.read()
        with open(err_path) as f:
            stderr = f.read()
        return proc.returncode, stdout, stderr, usage.ru_maxrss * 1024

    def dry_run_rss(self, keys):
        with SyntheticS3(keys) as s3:
            dst = os.path.join(self.work, f"dry-{keys}")
            code, out, err, rss = self.run_measured(self.gwsync(
                s3.endpoint, "sync", "--dry-run", "--no-index", "--json", "s3://registry", dst))
            self.assertEqual(code, 0, err)
            report = json.loads(out)
            self.assertEqual(report["source_objects"], keys)
            self.assertEqual(report["actions"]["download"]["objects"], keys)
            self.assertFalse(os.path.exists(dst))
            return rss

    def test_peak_rss_is_flat_from_100k_to_1m_keys(self):
        small = self.dry_run_rss(100_000)
        large = self.dry_run_rss(1_000_000)
        print(f"peak RSS: 100k keys {small / MiB:.1f} MiB, 1M keys {large / MiB:.1f} MiB",
              file=sys.stderr)
        self.assertLessEqual(large, 128 * MiB)
        self.assertLessEqual(large, 1.25 * small + 16 * MiB,
                             f"{small / MiB:.1f} MiB at 100k keys, {large / MiB:.1f} MiB at 1M")

    def test_first_get_before_five_percent_of_the_listing(self):
        keys = 1_000_000
        pages = keys // 1000
        with SyntheticS3(keys) as s3:
            dst = os.path.join(self.work, "first-get")
            proc = subprocess.Popen(
                self.gwsync(s3.endpoint, "--concurrency", "4", "sync", "--no-index",
                            "s3://registry", dst),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env)
            try:
                deadline = time.monotonic() + 60
                stats = s3.stats()
                while stats["get_requests"] == 0 and proc.poll() is None:
                    self.assertLess(time.monotonic(), deadline, "no GET within 60 s")
                    time.sleep(0.05)
                    stats = s3.stats()
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=60)
            before = stats["list_requests_before_first_get"]
            print(f"list requests before the first GET: {before} of ~{pages} pages",
                  file=sys.stderr)
            self.assertIsNotNone(before, "gwsync ended without sending a GET")
            self.assertLess(before, 0.05 * pages)

    def test_complete_backup_of_50k_keys_and_a_resync_that_gets_nothing(self):
        keys = 50_000
        with SyntheticS3(keys) as s3:
            dst = os.path.join(self.work, "backup")
            index = os.path.join(self.work, "index")
            cmd = self.gwsync(s3.endpoint, "sync", "--index", index, "--json", "s3://registry",
                              dst)
            code, out, err, _ = self.run_measured(cmd)
            self.assertEqual(code, 0, err)
            report = json.loads(out)
            self.assertEqual(report["actions"]["download"]["objects"], keys)
            files = sum(len(names) for root, _, names in os.walk(dst)
                        if not root.startswith(os.path.join(dst, ".gwsync")))  # manifests
            self.assertEqual(files, keys)
            gets = s3.stats()["get_requests"]
            self.assertEqual(gets, keys)

            code, out, err, _ = self.run_measured(cmd)
            self.assertEqual(code, 0, err)
            report = json.loads(out)
            self.assertNotIn("download", report["actions"])
            self.assertEqual(report["actions"]["skip: unchanged"]["objects"], keys)
            self.assertEqual(s3.stats()["get_requests"], gets, "the re-sync sent GETs")


if __name__ == "__main__":
    unittest.main(verbosity=2)
