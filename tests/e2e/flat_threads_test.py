"""A sync of many multipart-sized objects keeps its thread count and RSS
flat (issue 10: 10,000 objects of 70 MiB, emulated with small files and a
low --multipart-threshold, so every file goes as a multipart upload).

Each large object used to run on a thread of its own; now every transfer is
a state machine on the curl loop with its CPU work on a fixed pool, so the
process has the same threads after 100 objects as after 1,500. The threads
and RSS of the gwsync process are sampled from /proc while it runs, against
the real gateway.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402

FILES = 1500
SIZE = 64 << 10


def status_of(pid):
    """(threads, RSS in KiB) of a running process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["Threads"]), int(fields["VmRSS"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


class FlatThreadsTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.work = tempfile.mkdtemp(prefix="gwsync-flat-")
        self.env = gwsync_env(os.path.join(self.work, "home"))
        os.makedirs(self.env["HOME"])
        self.bucket = f"gwt-flat-{os.getpid()}"
        self.src = os.path.join(self.work, "src")
        for i in range(FILES):
            d = os.path.join(self.src, f"d{i % 30:02d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{i:05d}"), "wb") as f:
                f.write(os.urandom(SIZE))

    def tearDown(self):
        subprocess.run(self.gwsync("rb", "--force", f"s3://{self.bucket}"), env=self.env,
                       capture_output=True, timeout=300)
        shutil.rmtree(self.work, ignore_errors=True)

    def gwsync(self, *args):
        return [self.bin, "--endpoint", self.endpoint, *args]

    def sampled(self, *args):
        """Runs gwsync, sampling it every 20 ms: (exit code, stderr, samples)."""
        err_path = os.path.join(self.work, "err")
        samples = []
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(self.gwsync(*args), stdout=subprocess.DEVNULL, stderr=err,
                                    env=self.env)
            while proc.poll() is None:
                s = status_of(proc.pid)
                if s:
                    samples.append(s)
                time.sleep(0.02)
        with open(err_path) as f:
            return proc.returncode, f.read(), samples

    def test_multipart_upload_of_many_objects_keeps_threads_and_rss_flat(self):
        code, err, samples = self.sampled(
            "sync", "--no-index", "--quiet", "--concurrency", "32", "--multipart-threshold",
            "32KiB", self.src, f"s3://{self.bucket}")
        self.assertEqual(code, 0, err)
        self.assertGreater(len(samples), 20, "the run was too short to sample")
        threads = [t for t, _ in samples]
        rss = [r for _, r in samples]
        # A fixed number: main, TBB workers, curl loop, planner, walker,
        # bucket discovery, transfer workers, RocksDB's and libcurl's own.
        # 32 objects in flight, each on its own thread, would pass 40.
        cores = os.cpu_count() or 1
        bound = 12 + 2 * max(2, cores)
        self.assertLessEqual(max(threads), bound, f"threads over the run: {sorted(set(threads))}")
        # RSS: the last quarter of the run no higher than the first quarter's
        # peak plus 16 MiB (nothing grows with the objects done).
        quarter = max(1, len(rss) // 4)
        early, late = max(rss[:quarter]), max(rss[-quarter:])
        self.assertLessEqual(late, early + 16 * 1024, f"RSS {early} KiB early, {late} KiB late")

        # Every object is there, as a multipart upload of one part.
        listing = subprocess.run(self.gwsync("ls", "-r", f"s3://{self.bucket}"), env=self.env,
                                 capture_output=True, text=True, timeout=120)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        lines = [line for line in listing.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), FILES)
        print(f"flat_threads: {len(samples)} samples, threads {min(threads)}-{max(threads)} "
              f"(bound {bound}), RSS {min(rss) // 1024}-{max(rss) // 1024} MiB", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
