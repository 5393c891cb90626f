"""One run per pair, against the real RGW: while a slow backup of a bucket
runs, a second run of the same source and destination exits 75 at once with
a line naming the pair and the first run's pid, writes no metrics file, and
downloads nothing (the gateway's get_b counter: the bucket's bytes went out
once); `--no-index` runs are kept out too; a run of another pair goes on
meanwhile; `--wait-lock` waits for the first run and then finds nothing to
fetch, or gives up after its wait with 75.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gwtest import data_of, gwsync_env, read_tree, require  # noqa: E402
from resume_test import settled_get_bytes  # noqa: E402

MiB = 1 << 20


class PairLockTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.asok = require("GWSYNC_TEST_ASOKS").split()[0]
        self.work = tempfile.mkdtemp(prefix="gwsync-lock-")
        self.env = gwsync_env(self.work)
        self.env.pop("XDG_CACHE_HOME", None)  # locks under the scratch HOME
        stamp = f"{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.bucket = f"gwt-lock-{stamp}"
        self.other = f"gwt-lock-other-{stamp}"
        self.index = os.path.join(self.work, "index")

    def tearDown(self):
        for b in (self.bucket, self.other):
            self.gwsync("rb", "--force", f"s3://{b}")
        shutil.rmtree(self.work, ignore_errors=True)

    def gwsync(self, *args):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, *args], env=self.env,
                              capture_output=True, text=True, timeout=300)

    def fill(self, bucket, files):
        src = os.path.join(self.work, "src-" + bucket)
        os.makedirs(src)
        for name, data in files.items():
            with open(os.path.join(src, name), "wb") as f:
                f.write(data)
        r = self.gwsync("sync", "--no-index", src, f"s3://{bucket}")
        self.assertEqual(r.returncode, 0, r.stderr)
        return files

    def wait_for_lock_of(self, pid):
        """Until a lock file names pid (the run holds its pair's lock)."""
        locks = os.path.join(self.work, ".cache", "gwsync", "locks")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for name in os.listdir(locks) if os.path.isdir(locks) else []:
                with open(os.path.join(locks, name)) as f:
                    if f.readline().strip() == str(pid):
                        return
            time.sleep(0.05)
        self.fail(f"no lock file names pid {pid}")

    def test_one_run_per_pair(self):
        files = self.fill(self.bucket, {f"blob{i}": data_of(4 * MiB, i) for i in range(4)})
        small = self.fill(self.other, {"wal": data_of(1000, 9)})
        total = sum(len(d) for d in files.values())
        dst = os.path.join(self.work, "backup")
        metrics = os.path.join(self.work, "backup.prom")
        before = settled_get_bytes(self.asok)

        # 16 MiB at 2 MiB/s: about 8 s.
        first = subprocess.Popen(
            [self.bin, "--endpoint", self.endpoint, "--bwlimit", "2M", "sync", "--index",
             self.index, "--metrics-file", metrics, f"s3://{self.bucket}", dst],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_for_lock_of(first.pid)

        refused_line = (f"gwsync: another gwsync (pid {first.pid}) is syncing "
                        f"s3://{self.bucket} -> {dst}; --wait-lock SECONDS waits for it\n")
        start = time.monotonic()
        second = self.gwsync("sync", "--index", self.index, "--metrics-file", metrics,
                             f"s3://{self.bucket}", dst)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(second.returncode, 75, second.stderr)
        self.assertEqual(second.stderr, refused_line)
        self.assertEqual(second.stdout, "")
        self.assertFalse(os.path.exists(metrics), "the refused run wrote the metrics file")

        # The lock is the pair's, not the index's.
        no_index = self.gwsync("sync", "--no-index", f"s3://{self.bucket}", dst)
        self.assertEqual(no_index.returncode, 75, no_index.stderr)
        self.assertEqual(no_index.stderr, refused_line)

        # A short wait that runs out.
        start = time.monotonic()
        timed_out = self.gwsync("sync", "--wait-lock", "1", f"s3://{self.bucket}", dst)
        self.assertGreaterEqual(time.monotonic() - start, 1)
        self.assertEqual(timed_out.returncode, 75, timed_out.stderr)
        self.assertIn(f"(pid {first.pid}) is still syncing s3://{self.bucket} -> {dst} after 1 s",
                      timed_out.stderr)

        # Another pair runs meanwhile (the same index folder).
        other_dst = os.path.join(self.work, "backup-other")
        other = self.gwsync("sync", "--index", self.index, f"s3://{self.other}", other_dst)
        self.assertEqual(other.returncode, 0, other.stderr)
        self.assertEqual(read_tree(other_dst), small)
        self.assertIsNone(first.poll(), "the first run ended before the checks: too fast")

        # A run that waits: it starts once the first has finished, and finds
        # everything there.
        waiter = subprocess.Popen(
            [self.bin, "--endpoint", self.endpoint, "sync", "--index", self.index,
             "--wait-lock", "60", "--json", f"s3://{self.bucket}", dst],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0, err)
        first_done = time.monotonic()
        wout, werr = waiter.communicate(timeout=120)
        self.assertEqual(waiter.returncode, 0, werr)
        self.assertGreaterEqual(time.monotonic(), first_done)
        report = json.loads(wout)
        self.assertNotIn("download", report["actions"], wout)
        self.assertEqual(report["actions"]["skip: unchanged"]["objects"], len(files), wout)

        self.assertEqual(read_tree(dst), files)
        with open(metrics) as f:
            success = [line for line in f if line.startswith("gwsync_sync_success{")]
        self.assertEqual(len(success), 1)
        self.assertTrue(success[0].rstrip().endswith(" 1"), success)
        sent = settled_get_bytes(self.asok) - before
        # The bucket's 16 MiB once (and the other bucket's 1,000 bytes), not a
        # blob more.
        self.assertGreaterEqual(sent, total)
        self.assertLess(sent, total + 4 * MiB, "a blob was downloaded twice")


if __name__ == "__main__":
    unittest.main()
