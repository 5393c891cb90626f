#!/usr/bin/env python3
"""gwsync through a fault-injecting proxy (fault_proxy.py) in front of the real
RGW: throttling bursts, endless throttling, connections reset mid-body, a
router's body-size limit (413), and a first byte slower than the request
timeout. Each test asserts what a user sees: the exit code, the message, the
time taken, and the objects read back byte-exact from the gateway directly
(never through the proxy).

Reads GWSYNC_BIN and GWSYNC_TEST_ENDPOINT/ACCESS_KEY/SECRET_KEY from the
environment (tools/test.sh sets them) and fails, never skips, when they are
missing.
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import data_of, gwsync_env, require  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
TIMEOUT = 60  # seconds for any one command


def setUpModule():
    global BIN, ENDPOINT, SCRATCH, ENV
    BIN = require("GWSYNC_BIN")
    if not os.access(BIN, os.X_OK):
        raise RuntimeError(f"GWSYNC_BIN={BIN} is not an executable")
    ENDPOINT = require("GWSYNC_TEST_ENDPOINT")
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-faults-")
    # Credentials through the environment, a scratch HOME (no ~/.s3cfg, a
    # private default index), and no proxy variables between us and the proxy.
    ENV = gwsync_env(SCRATCH)


def tearDownModule():
    shutil.rmtree(SCRATCH, ignore_errors=True)


class Proxy:
    """fault_proxy.py in front of the real gateway, with its counts."""

    def __init__(self, tmp, *flags):
        self.stats_path = os.path.join(tmp, "proxy-stats.json")
        self.log = open(os.path.join(tmp, "proxy.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fault_proxy.py"), "--upstream", ENDPOINT,
             "--port", "0", "--stats", self.stats_path, *flags],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"fault_proxy.py did not print its port (got {line!r})")
        self.url = f"http://127.0.0.1:{line}"

    def stats(self):
        with open(self.stats_path) as f:
            return json.load(f)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


class Run:
    def __init__(self, proc, seconds):
        self.code, self.out, self.err, self.seconds = (
            proc.returncode, proc.stdout, proc.stderr, seconds)

    def __str__(self):
        return (f"exit {self.code} after {self.seconds:.1f} s\nstdout: {self.out[-2000:]}\n"
                f"stderr: {self.err[-2000:]}")


class FaultTest(unittest.TestCase):
    counter = 0

    def setUp(self):
        FaultTest.counter += 1
        self.tmp = tempfile.mkdtemp(dir=SCRATCH)
        name = self.id().rsplit(".", 1)[-1].replace("_", "-").lower()
        self.bucket = f"gwf-{os.getpid()}-{FaultTest.counter}-{name}"[:63].rstrip("-")
        self.proxy = None
        r = self.direct("mb", f"s3://{self.bucket}")
        self.assertEqual(r.code, 0, f"mb on the real gateway: {r}")

    def tearDown(self):
        if self.proxy:
            self.proxy.stop()
        self.direct("rb", "--force", f"s3://{self.bucket}")
        shutil.rmtree(self.tmp, ignore_errors=True)

    # gwsync, as a user runs it, against an endpoint.
    def gwsync(self, endpoint, *args, timeout=TIMEOUT):
        start = time.monotonic()
        proc = subprocess.run([BIN, "--endpoint", endpoint, *args], env=ENV, cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout)
        return Run(proc, time.monotonic() - start)

    def direct(self, *args):
        return self.gwsync(ENDPOINT, *args)

    def via_proxy(self, *args, timeout=TIMEOUT):
        return self.gwsync(self.proxy.url, *args, timeout=timeout)

    def start_proxy(self, *flags):
        self.proxy = Proxy(self.tmp, *flags)
        return self.proxy

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertObject(self, key, data):
        """The object, read back from the real gateway, is exactly `data`."""
        out = os.path.join(self.tmp, "readback")
        r = self.direct("get", f"s3://{self.bucket}/{key}", out)
        self.assertEqual(r.code, 0, f"get from the real gateway: {r}")
        with open(out, "rb") as f:
            got = f.read()
        os.unlink(out)
        self.assertEqual(len(got), len(data), f"{key}: size")
        self.assertTrue(got == data, f"{key}: content differs")

    def put_direct(self, key, data):
        r = self.direct("put", self.write("src-" + key, data), f"s3://{self.bucket}/{key}")
        self.assertEqual(r.code, 0, f"put on the real gateway: {r}")

    # --- 503 SlowDown ------------------------------------------------------

    def test_slowdown_burst_put_retries(self):
        proxy = self.start_proxy("--slowdown-first", "3")
        data = data_of(10_000, 1)
        r = self.via_proxy("put", self.write("small", data), f"s3://{self.bucket}/small")
        self.assertEqual(r.code, 0, str(r))
        self.assertObject("small", data)
        s = proxy.stats()
        self.assertEqual(s["injected"]["slowdown"], 3, s)
        self.assertGreaterEqual(s["requests"], 4, f"no retries seen: {s}")

    def test_slowdown_burst_honours_retry_after(self):
        proxy = self.start_proxy("--slowdown-first", "3", "--retry-after")
        data = data_of(10_000, 2)
        r = self.via_proxy("put", self.write("small", data), f"s3://{self.bucket}/small")
        self.assertEqual(r.code, 0, str(r))
        self.assertObject("small", data)
        self.assertGreaterEqual(proxy.stats()["requests"], 4)
        # Retry-After: 1 on each of three 503s: at least 1 s, really about 3 s.
        self.assertGreaterEqual(r.seconds, 1.0, f"Retry-After ignored: {r}")

    def test_endless_throttling_fails_in_bounded_time(self):
        proxy = self.start_proxy("--slowdown-first", "1000")
        r = self.via_proxy("put", self.write("small", b"x" * 1000), f"s3://{self.bucket}/small")
        self.assertEqual(r.code, 1, str(r))
        lines = r.err.strip().splitlines()
        self.assertEqual(len(lines), 1, f"not one line: {r}")
        self.assertTrue("SlowDown" in lines[0] or "503" in lines[0], str(r))
        self.assertLess(r.seconds, 60, str(r))
        self.assertGreater(proxy.stats()["requests"], 1, "gave up without a retry")

    # --- connection reset mid-body -----------------------------------------

    def test_reset_mid_body_get_retried(self):
        data = data_of(2 * MiB, 3)
        self.put_direct("two-mib", data)
        proxy = self.start_proxy("--reset-mid-body-first", "1")
        out = os.path.join(self.tmp, "got")
        r = self.via_proxy("get", f"s3://{self.bucket}/two-mib", out)
        self.assertEqual(r.code, 0, str(r))
        s = proxy.stats()
        self.assertEqual(s["injected"]["reset_mid_body"], 1, s)
        self.assertGreaterEqual(s["methods"].get("GET", 0), 2, f"GET not retried: {s}")
        with open(out, "rb") as f:
            self.assertTrue(f.read() == data, "downloaded bytes differ")

    # --- 413 from a router's body-size limit ---------------------------------

    # DESIGN.md, Gateways: a 413 shrinks the part size and the object goes
    # again as multipart, every body under the limit.
    def test_413_recovers_with_smaller_parts(self):
        proxy = self.start_proxy("--max-body", "6000000")
        data = data_of(20 * MiB, 4)
        r = self.via_proxy("put", "--multipart-threshold", "64MiB", "--part-size", "16MiB",
                           self.write("big", data), f"s3://{self.bucket}/big")
        s = proxy.stats()
        self.assertEqual(r.code, 0, f"{r}\nproxy: {s}")
        self.assertGreaterEqual(s["injected"]["too_large"], 1, s)
        self.assertLessEqual(s["max_forwarded_body"], 6_000_000, s)
        self.assertObject("big", data)

    def test_max_body_size_up_front_avoids_413(self):
        proxy = self.start_proxy("--max-body", "6000000")
        data = data_of(20 * MiB, 5)
        r = self.via_proxy("put", "--multipart-threshold", "64MiB", "--part-size", "16MiB",
                           "--max-body-size", "5MiB", self.write("big", data),
                           f"s3://{self.bucket}/big")
        s = proxy.stats()
        self.assertEqual(r.code, 0, f"{r}\nproxy: {s}")
        self.assertEqual(s["injected"]["too_large"], 0, s)
        self.assertObject("big", data)

    # --- sync through throttling ---------------------------------------------

    def sync_through_slowdown(self):
        self.start_proxy("--slowdown-first", "3")
        files = {f"d{i % 5}/f{i:02d}": data_of(100 + 37 * i, 100 + i) for i in range(50)}
        src = os.path.join(self.tmp, "src")
        for key, data in files.items():
            self.write(os.path.join("src", key), data)
        r = self.via_proxy("sync", src, f"s3://{self.bucket}", "--index",
                           os.path.join(self.tmp, "idx"), "--json")
        self.assertEqual(r.code, 0, str(r))
        return files, r

    def test_sync_through_slowdown(self):
        files, r = self.sync_through_slowdown()
        self.assertGreaterEqual(self.proxy.stats()["requests"], 53)
        back = os.path.join(self.tmp, "back")
        r = self.direct("sync", f"s3://{self.bucket}", back, "--no-index", "--quiet")
        self.assertEqual(r.code, 0, f"sync back from the real gateway: {r}")
        got = {}
        for root, dirs, names in os.walk(back):
            if root == back:
                dirs[:] = [d for d in dirs if d != ".gwsync"]  # run manifests
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    got[os.path.relpath(os.path.join(root, n), back)] = f.read()
        self.assertEqual(sorted(got), sorted(files))
        for key, data in files.items():
            self.assertTrue(got[key] == data, f"{key}: content differs")

    # sync --json has an "endpoints" array: per endpoint, its requests,
    # throttled answers, timeouts, ...
    def test_sync_json_reports_throttling(self):
        _, r = self.sync_through_slowdown()
        report = json.loads(r.out)
        self.assertIn("endpoints", report, f"no endpoints in --json: {r.out}")
        endpoints = report["endpoints"]
        self.assertIsInstance(endpoints, list)
        self.assertTrue(endpoints, "empty endpoints array")
        throttled = sum(e.get("throttled", 0) for e in endpoints)
        self.assertGreater(throttled, 0, r.out)
        # Every 503 the proxy sent, counted once.
        self.assertEqual(throttled, self.proxy.stats()["injected"]["slowdown"], r.out)

    # --- a first byte slower than the request timeout --------------------------

    # --timeout SECONDS is a per-request stall limit: the stalled GET is
    # abandoned after 2 s and retried.
    def test_slow_first_byte_beyond_timeout_retried(self):
        data = data_of(100_000, 6)
        self.put_direct("slow", data)
        proxy = self.start_proxy("--slow-first-byte-ms", "5000", "--slow-first", "1")
        out = os.path.join(self.tmp, "got")
        start = time.monotonic()
        proc = subprocess.run([BIN, "--endpoint", proxy.url, "--timeout", "2", "get",
                               f"s3://{self.bucket}/slow", out], env=ENV, cwd=self.tmp,
                              capture_output=True, text=True, timeout=TIMEOUT)
        r = Run(proc, time.monotonic() - start)
        self.assertEqual(r.code, 0, str(r))
        self.assertLess(r.seconds, 20, str(r))
        s = proxy.stats()
        self.assertEqual(s["injected"]["slow_first_byte"], 1, s)
        self.assertGreaterEqual(s["requests"], 2, f"not retried: {s}")
        with open(out, "rb") as f:
            self.assertTrue(f.read() == data, "downloaded bytes differ")


if __name__ == "__main__":
    unittest.main()
