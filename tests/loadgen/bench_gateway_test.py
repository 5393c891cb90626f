#!/usr/bin/env python3
"""gwsync bench against the real gateways: its numbers are honest.

Every request bench reports is one the gateways counted themselves (radosgw
admin socket `perf dump`, section "rgw": req, put, put_b, get, get_b), per
gateway, over one gateway and over several; its MiB/s is the bytes it moved
over the time it measured. It refuses a prefix that holds data, cleans up
after itself (also on Ctrl-C), never prints credentials, and `bench compare`
reads its reports back.

ctest runs this test alone (RUN_SERIAL), so no other test's requests reach
the gateways meanwhile. Reads GWSYNC_BIN and GWSYNC_TEST_* from the
environment (tools/test.sh sets them); fails, never skips, without them.
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
from gwtest import gwsync_env, require  # noqa: E402

MiB = 1 << 20


def perf(asok):
    out = subprocess.run(["ceph", "--admin-daemon", asok, "perf", "dump"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    rgw = json.loads(out)["rgw"]
    return {k: rgw[k] for k in ("req", "put", "put_b", "get", "get_b")}


class BenchGatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = require("GWSYNC_BIN")
        cls.endpoints = require("GWSYNC_TEST_ENDPOINTS").split()
        cls.asoks = require("GWSYNC_TEST_ASOKS").split()
        assert len(cls.asoks) == len(cls.endpoints), "one admin socket per gateway"
        cls.access_key = require("GWSYNC_TEST_ACCESS_KEY")
        cls.secret_key = require("GWSYNC_TEST_SECRET_KEY")
        cls.tmp = tempfile.mkdtemp(prefix="gwsync-bench-test-")
        cls.env = gwsync_env(cls.tmp)
        cls.buckets = []

    @classmethod
    def tearDownClass(cls):
        for b in cls.buckets:
            cls.gwsync(cls.endpoints[:1], "rb", "--force", f"s3://{b}")
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def gwsync(cls, endpoints, *args, timeout=120):
        flags = [a for e in endpoints for a in ("--endpoint", e)]
        return subprocess.run([cls.bin, *flags, *args], env=cls.env, capture_output=True,
                              text=True, timeout=timeout)

    def bucket(self, what):
        name = f"gwsync-bench-{what}-{os.getpid()}"
        self.buckets.append(name)
        return name

    def bench(self, endpoints, target, *args):
        """Runs bench; returns (report, per-gateway counter deltas, process)."""
        path = os.path.join(self.tmp, f"report-{time.monotonic_ns()}.json")
        before = [perf(a) for a in self.asoks]
        r = self.gwsync(endpoints, "bench", target, "--json", path, *args)
        after = [perf(a) for a in self.asoks]
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path) as f:
            written = f.read()
        for text in (r.stdout, r.stderr, written):
            self.assertNotIn(self.secret_key, text)
            self.assertNotIn(self.access_key, text)
        report = json.loads(written)
        self.assertEqual(report["schema_version"], 1)
        deltas = [{k: a[k] - b[k] for k in a} for a, b in zip(after, before)]
        return report, deltas, r, path

    def keys_under(self, bucket, prefix=""):
        r = self.gwsync(self.endpoints[:1], "ls", "-r", f"s3://{bucket}/{prefix}")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [line for line in r.stdout.splitlines() if line.strip()]

    def assertRequestsMatchGateways(self, report, deltas, endpoints):
        """What bench sent to each gateway is what that gateway counted."""
        by_endpoint = {e["endpoint"]: e for e in report["requests"]}
        for i, url in enumerate(self.endpoints):
            sent = by_endpoint.get(url, {}) if url in endpoints else {}
            d = deltas[i]
            self.assertEqual(d["req"], sent.get("total", 0), f"{url}: all requests")
            self.assertEqual(d["put"], sent.get("PutObject", 0) + sent.get("UploadPart", 0),
                             f"{url}: PUTs")
            # radosgw counts HEAD among its gets.
            self.assertEqual(d["get"], sent.get("GetObject", 0) + sent.get("HeadObject", 0),
                             f"{url}: GETs and HEADs")

    def assertPhaseAddsUp(self, report):
        """The measured operations are accounted for in the request totals."""
        sent = sum(e["total"] for e in report["requests"])
        measured = sum(o["requests"] for name, o in report["phases"][0]["operations"].items()
                       if name != "total")
        warm = sum(report["phases"][0]["warmup_requests"].values())
        self.assertLessEqual(measured + warm, sent)
        self.assertGreater(measured, 0)

    def test_put_one_gateway_counts_bytes_and_rate(self):
        b = self.bucket("put")
        one = self.endpoints[:1]
        report, deltas, _, _ = self.bench(one, f"s3://{b}", "--op", "put", "--size", "64KiB",
                                          "--duration", "2s", "--warmup", "0", "--concurrency",
                                          "8", "--keep-data")
        self.assertRequestsMatchGateways(report, deltas, one)
        phase = report["phases"][0]
        put = phase["operations"]["put"]
        self.assertEqual(put["errors"]["total"], 0)
        # No warm-up, no working set: every PUT the gateway saw was measured.
        self.assertEqual(put["count"], deltas[0]["put"])
        self.assertEqual(put["bytes"], deltas[0]["put_b"])
        self.assertEqual(put["bytes"], put["count"] * 64 * 1024)
        self.assertAlmostEqual(phase["seconds"], 2.0, delta=0.01)
        self.assertAlmostEqual(put["mib_per_s"], put["bytes"] / MiB / phase["seconds"],
                               delta=0.001 + 1e-6 * put["mib_per_s"])
        self.assertAlmostEqual(put["ops_per_s"], put["count"] / phase["seconds"], delta=0.001)
        # The objects are there (--keep-data), as many and as large as reported.
        keys = self.keys_under(b, report["run_prefix"])
        self.assertEqual(len(keys), put["count"])
        series = phase["time_series"]
        self.assertEqual(sum(s["ops"] for s in series), put["count"])
        lat = put["latency_ms"]
        self.assertLessEqual(lat["p50"], lat["p90"])
        self.assertLessEqual(lat["p90"], lat["p99"])
        self.assertLessEqual(lat["p99"], lat["max"])

    def test_mix_over_every_gateway_matches_each_gateways_counters(self):
        b = self.bucket("mix")
        report, deltas, r, _ = self.bench(
            self.endpoints, f"s3://{b}/area/", "--mix", "get=40,head=25,put=20,list=5,delete=10",
            "--size", "16KiB", "--objects", "100", "--duration", "2s", "--warmup", "1s",
            "--concurrency", "8", "--csv", os.path.join(self.tmp, "series.csv"))
        self.assertRequestsMatchGateways(report, deltas, self.endpoints)
        self.assertPhaseAddsUp(report)
        phase = report["phases"][0]
        for op in ("get", "head", "put", "list", "delete"):
            self.assertGreater(phase["operations"][op]["count"], 0, op)
            self.assertEqual(phase["operations"][op]["errors"]["total"], 0, op)
        self.assertEqual(phase["operations"]["get"]["bytes"],
                         phase["operations"]["get"]["count"] * 16 * 1024)
        # Per endpoint: every gateway served some, and the parts add up to the whole.
        self.assertEqual(len(phase["endpoints"]), len(self.endpoints))
        for op in ("get", "put"):
            parts = [e["operations"].get(op, {"count": 0})["count"] for e in phase["endpoints"]]
            self.assertEqual(sum(parts), phase["operations"][op]["count"], op)
            if len(self.endpoints) > 1:
                self.assertTrue(all(p > 0 for p in parts), f"{op} per endpoint: {parts}")
        # Cleaned up: the prefix is empty again, and the bucket bench created is gone.
        self.assertEqual(report["cleanup"]["errors"], 0)
        ls = self.gwsync(self.endpoints[:1], "ls", f"s3://{b}")
        self.assertNotEqual(ls.returncode, 0, "the bucket bench created should be removed")
        self.assertIn("concurrency 8", r.stdout)
        with open(os.path.join(self.tmp, "series.csv")) as f:
            rows = f.read().splitlines()
        self.assertEqual(rows[0].split(",")[:3], ["phase", "concurrency", "second"])
        self.assertGreaterEqual(len(rows), 3)

    def test_get_bytes_match_gateway_and_multipart_parts_are_puts(self):
        b = self.bucket("get")
        one = self.endpoints[:1]
        self.assertEqual(self.gwsync(one, "mb", f"s3://{b}").returncode, 0)
        report, deltas, _, _ = self.bench(one, f"s3://{b}", "--op", "get", "--size", "100KiB",
                                          "--objects", "20", "--duration", "1s", "--warmup", "0",
                                          "--concurrency", "4")
        self.assertRequestsMatchGateways(report, deltas, one)
        get = report["phases"][0]["operations"]["get"]
        self.assertEqual(get["count"], deltas[0]["get"])
        self.assertEqual(report["prepare"]["objects"], 20)
        self.assertEqual(report["prepare"]["bytes"] + 0, deltas[0]["put_b"])
        # radosgw's get_b falls one byte short per GET (it counts end - start
        # of an inclusive range); bench reports the bytes that arrived.
        self.assertEqual(get["bytes"], deltas[0]["get_b"] + get["count"])
        self.assertEqual(self.keys_under(b), [], "cleanup left objects")

        report, deltas, _, _ = self.bench(self.endpoints, f"s3://{b}", "--op", "mpput",
                                          "--size", "11MiB", "--duration", "1s", "--warmup", "0",
                                          "--concurrency", "2", "--part-size", "5MiB")
        self.assertRequestsMatchGateways(report, deltas, self.endpoints)
        mp = report["phases"][0]["operations"]["mpput"]
        self.assertGreater(mp["count"], 0)
        self.assertEqual(mp["bytes"], mp["count"] * 11 * MiB)
        self.assertEqual(sum(d["put_b"] for d in deltas), mp["bytes"])
        # Create + 3 parts + Complete per object.
        self.assertEqual(mp["requests"], 5 * mp["count"])

    def test_refuses_a_prefix_that_holds_data(self):
        b = self.bucket("full")
        one = self.endpoints[:1]
        src = os.path.join(self.tmp, "precious")
        with open(src, "w") as f:
            f.write("do not touch")
        self.assertEqual(self.gwsync(one, "mb", f"s3://{b}").returncode, 0)
        self.assertEqual(self.gwsync(one, "put", src, f"s3://{b}/data/precious").returncode, 0)
        before = perf(self.asoks[0])
        r = self.gwsync(one, "bench", f"s3://{b}/data", "--duration", "1s")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("already holds objects", r.stderr)
        self.assertEqual(perf(self.asoks[0])["put"], before["put"], "bench wrote anyway")
        self.assertEqual(len(self.keys_under(b)), 1)
        # An empty prefix next to it is fine.
        r = self.gwsync(one, "bench", f"s3://{b}/scratch", "--duration", "0.5s", "--warmup", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.keys_under(b)), 1)

    def test_ctrl_c_stops_and_cleans_up(self):
        b = self.bucket("sigint")
        one = self.endpoints[:1]
        self.assertEqual(self.gwsync(one, "mb", f"s3://{b}").returncode, 0)
        path = os.path.join(self.tmp, "interrupted.json")
        p = subprocess.Popen([self.bin, "--endpoint", one[0], "bench", f"s3://{b}", "--op",
                              "put", "--duration", "60s", "--warmup", "0", "--json", path],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("interrupted", err)
        with open(path) as f:
            report = json.load(f)
        self.assertTrue(report["interrupted"])
        self.assertGreater(report["phases"][0]["operations"]["put"]["count"], 0)
        self.assertLess(report["phases"][0]["seconds"], 30)
        self.assertEqual(self.keys_under(b), [])

    def test_compare_reads_two_runs(self):
        b = self.bucket("compare")
        one = self.endpoints[:1]
        _, _, _, first = self.bench(one, f"s3://{b}", "--op", "head", "--objects", "20",
                                    "--duration", "1s", "--warmup", "0", "--concurrency", "4")
        _, _, _, second = self.bench(one, f"s3://{b}", "--op", "head", "--objects", "20",
                                     "--duration", "1s", "--warmup", "0", "--concurrency", "4")
        r = self.gwsync([], "bench", "compare", first, second)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("concurrency 4", r.stdout)
        self.assertIn("head", r.stdout)
        self.assertIn("ops/s", r.stdout)
        self.assertRegex(r.stdout, r"\d+ regressions?")
        r = self.gwsync([], "bench", "compare", first, os.path.join(self.tmp, "missing.json"))
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("missing.json", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
