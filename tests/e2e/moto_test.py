#!/usr/bin/env python3
"""gwsync against a second S3 implementation, moto's server, beside RGW: the
object commands, a sync round trip and an error, as a user runs them. moto
shapes some answers differently from RGW and AWS (e.g. the root
<CompleteMultipartUploadResponse>), which gwsync must read all the same.

Starts `python3 -m moto.server` on a free loopback port and stops exactly
that process at the end, also when a test fails. Needs no Ceph: reads only
GWSYNC_BIN (tools/test.sh sets it) and fails, never skips, without it.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import clean_env, data_of, free_port, read_tree, require  # noqa: E402

MiB = 1 << 20
TIMEOUT = 60  # seconds for any one command
MULTIPART = ["--multipart-threshold", "5MiB", "--part-size", "5MiB"]


def die_with_parent():
    """Runs in the server's child process: SIGTERM it if this test dies
    (ctest's timeout), so that no server outlives the test."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class MotoServer:
    """moto's S3 server on 127.0.0.1, in the foreground, logging to `tmp`."""

    def __init__(self, tmp):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(tmp, "moto.log")
        self.log = open(self.log_path, "wb")
        env = clean_env(tmp)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=die_with_parent)

    def wait_ready(self, seconds=20):
        """Returns once this server answers; raises if it exits first (its
        port taken since free_port, say) or takes longer than `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            # Another process may hold the port: only our server's own
            # "Running on" line says the answer will be ours.
            if "Running on" in self.log_tail() and self.answers():
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's server did not start on port {self.port} "
                                   f"(exit {self.proc.poll()}): {self.log_tail()}")
            time.sleep(0.1)

    def answers(self):
        try:
            urllib.request.urlopen(self.url + "/", timeout=1).close()
        except urllib.error.HTTPError:
            pass  # an answer, even an error, means it listens
        except OSError:
            return False
        return self.proc.poll() is None

    def log_tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def stop(self):
        """Stops the process this object started, by its pid, and only it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def setUpModule():
    global BIN, SCRATCH, SERVER
    BIN = require("GWSYNC_BIN")
    if not os.access(BIN, os.X_OK):
        raise RuntimeError(f"GWSYNC_BIN={BIN} is not an executable")
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-moto-")
    unittest.addModuleCleanup(shutil.rmtree, SCRATCH, ignore_errors=True)
    for attempt in range(3):  # another process may take the free port first
        SERVER = MotoServer(SCRATCH)
        try:
            SERVER.wait_ready()
            break
        except BaseException as e:
            SERVER.stop()
            if attempt == 2 or not isinstance(e, RuntimeError):
                raise
    # Before the rmtree above: cleanups run last first.
    unittest.addModuleCleanup(SERVER.stop)


class MotoTest(unittest.TestCase):
    counter = 0

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=SCRATCH)
        MotoTest.counter += 1
        name = self.id().rsplit(".", 1)[-1].replace("_", "-").lower()
        self.bucket = f"gwm-{MotoTest.counter}-{name}"[:63].rstrip("-")
        self.env = clean_env(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_gwsync(self, *args):
        # moto takes any keys.
        return subprocess.run([BIN, "--endpoint", SERVER.url, "--access-key", "moto-key",
                               "--secret-key", "moto-secret", *args],
                              env=self.env, capture_output=True, timeout=TIMEOUT)

    def gwsync(self, *args):
        proc = self.run_gwsync(*args)
        self.assertEqual(proc.returncode, 0,
                         f"gwsync {' '.join(args)} exited {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode(errors="replace")

    def url(self, key=""):
        return f"s3://{self.bucket}/{key}"

    def local(self, name, data=None):
        path = os.path.join(self.tmp, name)
        if data is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return path

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def assertSameBytes(self, got, want, what):
        # Not assertEqual: a diff of megabytes of binary helps no one.
        self.assertTrue(got == want, f"{what}: got {len(got)} bytes, want {len(want)}, differ")

    def assertGetsBack(self, key, want):
        path = self.local("got-" + key.replace("/", "_"))
        self.gwsync("get", self.url(key), path)
        self.assertSameBytes(self.read(path), want, f"get {key} to a file")
        proc = self.run_gwsync("get", self.url(key), "-")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertSameBytes(proc.stdout, want, f"get {key} to stdout")

    def assertOneErrorLine(self, proc, *words):
        err = proc.stderr.decode(errors="replace")
        self.assertNotEqual(proc.returncode, 0, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("gwsync: "), err)
        for w in words:
            self.assertIn(w, err)

    # --- tests --------------------------------------------------------------

    def test_object_commands(self):
        small = data_of(1000 + 7, 1)
        large = data_of(12 * MiB + 5, 2)  # 3 parts of 5 MiB
        self.gwsync("mb", self.url())
        self.assertIn(self.url().rstrip("/"), self.gwsync("ls"))

        self.gwsync("put", self.local("small.bin", small), self.url("small.bin"))
        out = self.gwsync(*MULTIPART, "put", self.local("large.bin", large), self.url("dir/large.bin"))
        self.assertIn("3 parts", out)
        self.assertGetsBack("small.bin", small)
        self.assertGetsBack("dir/large.bin", large)
        # A ranged, parallel download of the multipart object, too.
        ranged = self.local("ranged.bin")
        self.gwsync(*MULTIPART, "get", self.url("dir/large.bin"), ranged)
        self.assertSameBytes(self.read(ranged), large, "ranged get of the multipart object")

        top = self.gwsync("ls", self.url()).splitlines()
        self.assertTrue(any(l.endswith(" DIR  " + self.url("dir/")) for l in top), top)
        self.assertTrue(any(l.endswith(f" {len(small)}  " + self.url("small.bin")) for l in top),
                        top)
        every = self.gwsync("ls", "-r", self.url()).splitlines()
        self.assertEqual(len(every), 2, every)
        self.assertTrue(any(l.endswith(f" {len(large)}  " + self.url("dir/large.bin"))
                            for l in every), every)

        self.gwsync("cp", self.url("dir/large.bin"), self.url("copy of large.bin"))
        self.assertGetsBack("copy of large.bin", large)

        self.gwsync("rm", self.url("copy of large.bin"))
        self.assertNotIn("copy of large.bin", self.gwsync("ls", "-r", self.url()))
        self.assertOneErrorLine(self.run_gwsync("rb", self.url()), "--force")
        self.gwsync("rm", "-r", self.url())
        self.assertEqual(self.gwsync("ls", "-r", self.url()).strip(), "")
        self.gwsync("rb", self.url())
        self.assertNotIn(self.url().rstrip("/"), self.gwsync("ls"))

    def test_sync_round_trip(self):
        tree = {"a.bin": data_of(3000, 3),
                "empty": b"",
                "sub/b.txt": b"hello\n",
                "sub/deeper/spaces & ünïcødé.bin": data_of(200000, 4),
                "sub/large.bin": data_of(6 * MiB + 1, 5)}  # multipart: 2 parts
        src = self.local("src")
        for i, (name, data) in enumerate(sorted(tree.items())):
            path = self.local(os.path.join("src", name), data)
            ns = 1_600_000_000_123_456_789 + i * 86_400_000_000_001
            os.utime(path, ns=(ns, ns))
        index = self.local("index")
        dst = self.local("dst")

        self.gwsync(*MULTIPART, "sync", "--index", index, src, self.url())
        self.gwsync(*MULTIPART, "sync", "--index", index, self.url(), dst)

        got = {}
        for root, dirs, files in os.walk(dst):
            if root == dst:
                dirs[:] = [d for d in dirs if d != ".gwsync"]  # run manifests
            for f in files:
                got[os.path.relpath(os.path.join(root, f), dst)] = os.path.join(root, f)
        self.assertEqual(sorted(got), sorted(tree))
        for name, data in tree.items():
            with self.subTest(name=name):
                self.assertSameBytes(self.read(got[name]), data, name)
                self.assertEqual(os.stat(got[name]).st_mtime_ns,
                                 os.stat(os.path.join(src, name)).st_mtime_ns)
        self.gwsync("rb", "--force", self.url())

    def test_wide_level_of_one_object_folders(self):
        # 100 one-object folders are listed in groups with start-after
        # (sides/bucket_side.cc): on moto too, every key arrives once.
        tree = {"wide/f%03d/k" % i: b"%d" % i for i in range(100)}
        tree.update({"wide/f005-x/k": b"dash", "wide/f005.txt": b"dot", "wide/f0100": b"between",
                     "wide/f020/a/b": b"deep", "wide/g": b"g", "top": b"top"})
        src = self.local("wsrc")
        for name, data in tree.items():
            self.local(os.path.join("wsrc", name), data)
        dst = self.local("wdst")
        self.gwsync("sync", "--index", self.local("windex"), src, self.url())
        self.gwsync("sync", "--no-index", self.url(), dst)
        self.assertEqual(read_tree(dst), tree)
        self.gwsync("rb", "--force", self.url())

    def test_unknown_bucket_is_one_clear_line(self):
        missing = f"gwm-missing-{os.getpid()}"
        self.assertOneErrorLine(self.run_gwsync("ls", f"s3://{missing}"),
                                missing, "does not exist", "NoSuchBucket")
        out = self.local("never")
        self.assertOneErrorLine(self.run_gwsync("get", f"s3://{missing}/k", out),
                                missing, "does not exist", "NoSuchBucket")
        self.assertFalse(os.path.exists(out), "a failed get left a file")
        self.assertOneErrorLine(
            self.run_gwsync("put", self.local("f", b"x"), f"s3://{missing}/k"),
            missing, "does not exist", "NoSuchBucket")
        self.assertOneErrorLine(self.run_gwsync("cp", f"s3://{missing}/k", f"s3://{missing}/c"),
                                f"s3://{missing}/k", "does not exist")


if __name__ == "__main__":
    unittest.main(verbosity=2)
