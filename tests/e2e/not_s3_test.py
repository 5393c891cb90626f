#!/usr/bin/env python3
"""An endpoint that is a web server but not S3 (python's http.server, started
by the test) is named as such, not taken for a missing bucket; RGW's own
answer for a missing bucket still says the bucket does not exist.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment; fails, never skips.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """`python3 -m http.server`, without its log on stderr."""

    def log_message(self, *args):
        pass


class NotS3Test(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
            "GWSYNC_TEST_ENDPOINTS").split()[0]
        self.tmp = tempfile.mkdtemp(prefix="gwsync-not-s3-")
        self.env = gwsync_env(os.path.join(self.tmp, "home"))
        os.makedirs(os.path.join(self.tmp, "home"))
        self.src = os.path.join(self.tmp, "src")
        os.makedirs(self.src)
        with open(os.path.join(self.src, "a"), "w") as f:
            f.write("a")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def gwsync(self, endpoint, *args):
        return subprocess.run([self.bin, "--endpoint", endpoint, *args], env=self.env,
                              capture_output=True, text=True, timeout=120)

    def test_a_web_server_is_not_an_s3_gateway(self):
        served = os.path.join(self.tmp, "served")
        os.makedirs(served)
        handler = functools.partial(QuietHandler, directory=served)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for args, status in [
                    (["ls", "s3://x"], 404),
                    (["sync", "s3://x", os.path.join(self.tmp, "dst")], 404),
                    (["sync", self.src, "s3://x"], 404),
                    (["get", "s3://x/k", os.path.join(self.tmp, "k")], 404),
                    (["mb", "s3://x"], 501),
                    (["rm", "s3://x/k"], 404)]:
                r = self.gwsync(url, *args)
                self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
                self.assertTrue(r.stderr.endswith(
                    f"{url}: not an S3 gateway (HTTP {status} without an S3 error body)\n"),
                    (args, r.stderr))
                self.assertEqual(r.stderr.count("\n"), 1, (args, r.stderr))
                self.assertNotIn("not found", r.stderr)
            # Its index page where the bucket list would be.
            for args in (["ls", "s3://"], ["sync", "s3://", os.path.join(self.tmp, "all")]):
                r = self.gwsync(url, *args)
                self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
                self.assertTrue(r.stderr.endswith(
                    f"{url}: not an S3 gateway (HTTP 200 with a body that is not a bucket "
                    f"list)\n"), (args, r.stderr))
            r = self.gwsync(url, "doctor")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("not an S3 gateway", r.stdout + r.stderr)
            self.assertNotIn("key", (r.stdout + r.stderr).lower())
        finally:
            server.shutdown()
            server.server_close()
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "dst")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "k")))

    def test_rgw_says_a_missing_bucket_does_not_exist(self):
        bucket = "gwsync-absent-" + uuid.uuid4().hex[:12]
        for args in (["ls", f"s3://{bucket}"],
                     ["sync", f"s3://{bucket}", os.path.join(self.tmp, "dst")],
                     ["get", f"s3://{bucket}/k", os.path.join(self.tmp, "k")]):
            r = self.gwsync(self.endpoint, *args)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
            self.assertIn(bucket, r.stderr)
            self.assertIn("does not exist (NoSuchBucket, HTTP 404", r.stderr, args)
            self.assertNotIn("not an S3 gateway", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
