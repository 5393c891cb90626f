#!/usr/bin/env python3
"""gwsync behind a real nginx (Debian's package) with client_max_body_size in
front of the real RGW: the body-size limit of a router. A body above the
limit gets nginx's 413; gwsync must shrink its parts under the limit and
finish the object as multipart, or keep under it from the start with
--max-body-size. Objects are read back from the gateway directly, byte-exact.

Reads GWSYNC_BIN and GWSYNC_TEST_ENDPOINT/ACCESS_KEY/SECRET_KEY from the
environment (tools/test.sh sets them); fails, never skips, without them.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import data_of, gwsync_env, require  # noqa: E402
from nginx import Nginx  # noqa: E402

MiB = 1 << 20
LIMIT_MIB = 6


class NginxBodyLimitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = require("GWSYNC_BIN")
        cls.endpoint = require("GWSYNC_TEST_ENDPOINT")
        cls.tmp = tempfile.mkdtemp(prefix="gwsync-nginx-")
        cls.env = gwsync_env(cls.tmp)
        cls.bucket = f"gwsync-nginx-{os.getpid()}"
        r = cls.gwsync(cls.endpoint, "mb", f"s3://{cls.bucket}")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.gwsync(cls.endpoint, "rb", "--force", f"s3://{cls.bucket}")
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def gwsync(cls, endpoint, *args):
        return subprocess.run([cls.bin, "--endpoint", endpoint, *args], env=cls.env,
                              capture_output=True, text=True, timeout=120)

    def setUp(self):
        self.nginx = Nginx(tempfile.mkdtemp(dir=self.tmp), self.endpoint, max_body=f"{LIMIT_MIB}m")

    def tearDown(self):
        self.nginx.stop()

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertObject(self, key, data):
        out = os.path.join(self.tmp, "readback")
        r = self.gwsync(self.endpoint, "get", f"s3://{self.bucket}/{key}", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            got = f.read()
        os.unlink(out)
        self.assertEqual(len(got), len(data), key)
        self.assertTrue(got == data, f"{key}: content differs")

    # gwsync doctor finds the limit: PUTs of 1 MiB doubling, the first 413
    # names it and the --max-body-size to give.
    def test_doctor_reports_the_limit(self):
        r = subprocess.run([self.bin, "doctor", self.nginx.url, "--max-body", "16MiB"],
                           env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("413 at 8 MiB, 4 MiB accepted", r.stdout)
        self.assertIn("--max-body-size 4MiB", r.stdout)
        # 4 MiB is under RGW's 5 MiB minimum part: said, not hidden.
        self.assertIn("below the gateway's minimum part (5 MiB)", r.stdout)

    # One PUT of 20 MiB, then 16 MiB parts: nginx refuses both; gwsync goes
    # on with parts under 6 MiB.
    def test_put_above_the_limit_becomes_multipart_under_it(self):
        data = data_of(20 * MiB, 1)
        r = self.gwsync(self.nginx.url, "put", "--multipart-threshold", "64MiB", "--part-size",
                        "16MiB", self.write("big", data), f"s3://{self.bucket}/big")
        statuses = self.nginx.statuses()
        self.assertEqual(r.returncode, 0, f"{r.stderr}\nnginx: {statuses}")
        self.assertIn(413, statuses)
        self.assertObject("big", data)

    def test_sync_through_the_limit(self):
        files = {"small": data_of(1000, 2),
                 "d/ten-mib": data_of(10 * MiB, 3)}
        for key, data in files.items():
            self.write(os.path.join("tree", key), data)
        r = self.gwsync(self.nginx.url, "sync", "--no-index", "--quiet",
                        "--multipart-threshold", "64MiB", os.path.join(self.tmp, "tree"),
                        f"s3://{self.bucket}/tree")
        self.assertEqual(r.returncode, 0, f"{r.stderr}\nnginx: {self.nginx.statuses()}")
        self.assertIn(413, self.nginx.statuses())
        for key, data in files.items():
            self.assertObject(f"tree/{key}", data)

    def test_max_body_size_keeps_every_body_under_the_limit(self):
        data = data_of(20 * MiB, 4)
        r = self.gwsync(self.nginx.url, "--max-body-size", "5MiB", "put", "--multipart-threshold",
                        "64MiB", "--part-size", "16MiB", self.write("capped", data),
                        f"s3://{self.bucket}/capped")
        statuses = self.nginx.statuses()
        self.assertEqual(r.returncode, 0, f"{r.stderr}\nnginx: {statuses}")
        self.assertNotIn(413, statuses)
        self.assertObject("capped", data)


if __name__ == "__main__":
    unittest.main()
