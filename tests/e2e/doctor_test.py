#!/usr/bin/env python3
"""`gwsync doctor ENDPOINT` against the real RGW: it reports what the gateway
supports, says what gwsync will use, and leaves no bucket behind.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment; fails, never skips.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402


class DoctorTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
            "GWSYNC_TEST_ENDPOINTS").split()[0]
        self.home = tempfile.mkdtemp(prefix="gwsync-doctor-")
        self.env = gwsync_env(self.home)

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def buckets(self):
        r = subprocess.run([self.bin, "--endpoint", self.endpoint, "ls"], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [l for l in r.stdout.splitlines() if "gwsync-doctor-" in l or "gwsync_doctor_" in l]

    def test_probes_the_gateway(self):
        r = subprocess.run([self.bin, "doctor", self.endpoint, "--max-body", "8MiB"], env=self.env,
                           capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rows = {}
        for line in r.stdout.split("gwsync will use:")[0].splitlines():
            for topic in ("signature v4", "signature v2", "ListObjectsV2", "ListObjects V1",
                          "ranged GET", "multipart upload", "part-number GET", "clock",
                          "request body size", "bucket names with '_'"):
                if line.strip().startswith(topic):
                    rows[topic] = line
        for topic in ("signature v4", "signature v2", "ListObjectsV2", "ListObjects V1",
                      "ranged GET", "multipart upload", "clock", "request body size"):
            self.assertIn(topic, rows, r.stdout)
            self.assertIn(" yes ", rows[topic], rows[topic])
        # Answered either way (RGW 16 ignores partNumber) and never fatal: gwsync
        # downloads by byte ranges.
        self.assertIn("part-number GET", rows, r.stdout)
        self.assertIn("bucket names with '_'", rows, r.stdout)
        # RGW enforces S3's 5 MiB minimum part size.
        self.assertIn("5 MiB", rows["multipart upload"])
        self.assertIn("bodies up to 8 MiB accepted", rows["request body size"])
        self.assertIn("gwsync will use:", r.stdout)
        self.assertIn("signature v4", r.stdout.split("gwsync will use:")[1])
        self.assertIn("removed gwsync-doctor-", r.stdout)
        self.assertEqual(self.buckets(), [])

    def test_a_wrong_secret_key_fails(self):
        env = dict(self.env, AWS_SECRET_ACCESS_KEY="not-the-secret")
        r = subprocess.run([self.bin, "doctor", self.endpoint], env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("gwsync: no signature version was accepted: check the access key and the "
                      "secret key", r.stderr)
        self.assertNotIn("not-the-secret", r.stdout + r.stderr)

    def test_takes_its_gateway_as_every_command_does(self):
        for args, env in ((["--endpoint", self.endpoint, "doctor"], self.env),
                          (["doctor"], dict(self.env, AWS_ENDPOINT_URL=self.endpoint))):
            r = subprocess.run([self.bin, *args, "--max-body", "1MiB"], env=env,
                               capture_output=True, text=True, timeout=240)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(f"gwsync doctor: {self.endpoint}", r.stdout)
        self.assertEqual(self.buckets(), [])

    def test_a_port_that_does_not_speak_http_is_no_usage_error(self):
        import socket
        import threading
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)

        def serve():
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
        try:
            r = subprocess.run([self.bin, "--endpoint", f"http://127.0.0.1:{server.getsockname()[1]}",
                                "ls"], env=self.env, capture_output=True, text=True, timeout=120)
        finally:
            server.close()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("the endpoint does not answer HTTP (not an S3 gateway?)", r.stderr)

    def test_unreachable(self):
        r = subprocess.run([self.bin, "doctor", "http://127.0.0.1:1"], env=self.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot reach the gateway", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
