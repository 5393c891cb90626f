#!/usr/bin/env python3
"""gwsync behind a real nginx that rate-limits like a platform's router:
`limit_req` at a few hundred requests/s, burst 20, answering 503 with
nginx's plain HTML page and no Retry-After. A 2,000-object upload with
--concurrency 64 must converge on the rate the router admits and complete
with no failure, close to that rate, every object byte-exact.
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
from nginx import Nginx  # noqa: E402

RATE = 200  # requests/s the router admits
OBJECTS = 2000


class NginxRateLimitTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.tmp = tempfile.mkdtemp(prefix="gwsync-nginx-rate-")
        self.env = gwsync_env(self.tmp)
        self.bucket = f"gwsync-nginx-rate-{os.getpid()}"
        self.nginx = Nginx(
            os.path.join(self.tmp, "n"), self.endpoint,
            http_extra=f"limit_req_zone $binary_remote_addr zone=gw:1m rate={RATE}r/s;",
            server_extra="limit_req zone=gw burst=20 nodelay; limit_req_status 503;")

    def tearDown(self):
        self.nginx.stop()
        self.gwsync(self.endpoint, "rb", "--force", f"s3://{self.bucket}")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def gwsync(self, endpoint, *args):
        return subprocess.run([self.bin, "--endpoint", endpoint, *args], env=self.env,
                              capture_output=True, text=True, timeout=600)

    def test_upload_through_a_rate_limiting_router_completes(self):
        tree = os.path.join(self.tmp, "tree")
        files = {}
        for i in range(OBJECTS):
            key = f"d{i % 20:02d}/f{i:05d}"
            files[key] = data_of(64 + i % 512, i)
            path = os.path.join(tree, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(files[key])
        start = time.monotonic()
        r = self.gwsync(self.nginx.url, "--concurrency", "64", "sync", "--no-index", "--quiet",
                        tree, f"s3://{self.bucket}")
        seconds = time.monotonic() - start
        statuses = self.nginx.statuses()
        refused = statuses.count(503)
        print(f"{OBJECTS} objects in {seconds:.1f} s ({OBJECTS / seconds:.0f}/s, router admits "
              f"{RATE}/s); {refused} answers of {len(statuses)} were 503", file=sys.stderr)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(r.stderr, "")
        # Close to the admitted rate: at least half of it, over the whole run.
        self.assertGreater(OBJECTS / seconds, RATE / 2)
        # Converged: most requests were admitted, not refused.
        self.assertLess(refused, len(statuses) // 2)
        # Every object landed (read back directly, listing and sizes).
        down = os.path.join(self.tmp, "down")
        r = self.gwsync(self.endpoint, "sync", "--no-index", "--quiet", f"s3://{self.bucket}",
                        down)
        self.assertEqual(r.returncode, 0, r.stderr)
        for key, data in list(files.items())[::97]:
            with open(os.path.join(down, key), "rb") as f:
                self.assertEqual(f.read(), data, key)
        count = sum(len(n) for d, _, n in os.walk(down)
                    if not os.path.relpath(d, down).startswith(".gwsync"))
        self.assertEqual(count, OBJECTS)


if __name__ == "__main__":
    unittest.main()
