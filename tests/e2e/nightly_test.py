#!/usr/bin/env python3
"""A nightly job as operators run it: `gwsync sync --metrics-file F
--log-file L` leaves a Prometheus text file node_exporter's textfile
collector can read (checked with a small parser of the exposition format)
with the run's figures, and a log with a timestamp on every line. A run that
fails keeps the last success time of the one before. Also: the systemd units
pass `systemd-analyze verify` where it is available.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment; fails, never skips.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import data_of, gwsync_env, require  # noqa: E402

TIMEOUT = 120
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_exposition(text):
    """[(name, {label: value}, float)], failing on any line the format does not allow."""
    samples, typed = [], set()
    assert text.endswith("\n"), "the file ends with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("gauge", "counter", "untyped"), line
            assert name not in typed, f"TYPE given twice for {name}"
            typed.add(name)
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels, rest = {}, m.group(3) or ""
        while rest:
            lm = LABEL.match(rest)
            assert lm, f"bad labels in {line!r}"
            labels[lm.group(1)] = lm.group(2).replace('\\"', '"').replace("\\n", "\n").replace(
                "\\\\", "\\")
            rest = rest[lm.end():]
        assert m.group(1) in typed, f"{m.group(1)} has no TYPE line before it"
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def value(samples, name, **labels):
    found = [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in labels.items())]
    assert len(found) == 1, f"{name} {labels}: {len(found)} samples"
    return found[0]


class NightlyTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
            "GWSYNC_TEST_ENDPOINTS").split()[0]
        self.home = tempfile.mkdtemp(prefix="gwsync-nightly-")
        self.env = gwsync_env(self.home)
        self.bucket = f"nightly-{os.getpid()}"

    def tearDown(self):
        subprocess.run([self.bin, "--endpoint", self.endpoint, "rb", "--force",
                        f"s3://{self.bucket}"], env=self.env, capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(self.home, ignore_errors=True)

    def sync(self, src, dst, metrics, log):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, "sync", "--quiet",
                               "--metrics-file", metrics, "--log-file", log, src, dst],
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT)

    def test_metrics_and_log(self):
        src = os.path.join(self.home, "wal")
        os.makedirs(src)
        sizes = {"a": 1000, "b": 20000, "sub/c": 0}
        for name, size in sizes.items():
            os.makedirs(os.path.dirname(os.path.join(src, name)), exist_ok=True)
            with open(os.path.join(src, name), "wb") as f:
                f.write(data_of(size, len(name)))
        prom_dir = os.path.join(self.home, "textfile")
        os.makedirs(prom_dir)
        metrics = os.path.join(prom_dir, "gwsync-wal.prom")
        log = os.path.join(self.home, "gwsync.log")
        dst = f"s3://{self.bucket}/wal"

        before = time.time()
        r = self.sync(src, dst, metrics, log)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout + r.stderr, "", "--quiet prints nothing on success")
        self.assertEqual(os.listdir(prom_dir), ["gwsync-wal.prom"], "no temporary file left")
        with open(metrics) as f:
            s = parse_exposition(f.read())
        pair = {"source": src, "destination": dst}
        self.assertEqual(value(s, "gwsync_sync_success", **pair), 1)
        self.assertEqual(value(s, "gwsync_sync_exit_code", **pair), 0)
        self.assertEqual(value(s, "gwsync_sync_objects", action="upload", **pair), 3)
        self.assertEqual(value(s, "gwsync_sync_bytes", action="upload", **pair), sum(sizes.values()))
        self.assertEqual(value(s, "gwsync_sync_errors", **pair), 0)
        self.assertEqual(value(s, "gwsync_sync_source_objects", **pair), 3)
        duration = value(s, "gwsync_sync_duration_seconds", **pair)
        self.assertGreater(duration, 0)
        self.assertLess(duration, time.time() - before + 1)
        success = value(s, "gwsync_sync_last_success_timestamp_seconds", **pair)
        self.assertTrue(before - 1 <= success <= time.time() + 1, success)
        requests = value(s, "gwsync_gateway_requests", remote="default", endpoint=self.endpoint,
                         **pair)
        self.assertGreaterEqual(requests, 4)  # the bucket check, a listing, three PUTs
        self.assertEqual(value(s, "gwsync_gateway_throttled", remote="default",
                               endpoint=self.endpoint, **pair), 0)

        with open(log) as f:
            lines = f.read().splitlines()
        stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")
        self.assertTrue(all(stamp.match(l) for l in lines), lines)
        self.assertTrue(any(l.endswith(": started") for l in lines), lines)
        self.assertTrue(any(re.search(r" upload +3 objects", l) for l in lines), lines)
        self.assertTrue(lines[-1].endswith("finished, exit code 0"), lines)

        # A failed night: the source is gone. Success 0, the last success kept.
        time.sleep(1.1)
        shutil.rmtree(src)
        r = self.sync(src, dst, metrics, log)
        self.assertEqual(r.returncode, 1, r.stderr)
        with open(metrics) as f:
            s = parse_exposition(f.read())
        self.assertEqual(value(s, "gwsync_sync_success", **pair), 0)
        self.assertEqual(value(s, "gwsync_sync_errors", **pair), 1)
        self.assertEqual(value(s, "gwsync_sync_last_success_timestamp_seconds", **pair), success)
        self.assertGreater(value(s, "gwsync_sync_last_run_timestamp_seconds", **pair), success)
        with open(log) as f:
            tail = f.read().splitlines()[-2:]
        self.assertIn("wal", tail[0])
        self.assertTrue(tail[1].endswith("finished, exit code 1"), tail)

    def test_without_node_exporters_folder_a_complete_backup_still_passes(self):
        src = os.path.join(self.home, "wal")
        os.makedirs(src)
        with open(os.path.join(src, "a"), "wb") as f:
            f.write(b"a")
        metrics = os.path.join(self.home, "no-such-folder", "gwsync.prom")
        r = self.sync(src, f"s3://{self.bucket}/wal", metrics, os.path.join(self.home, "log"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"gwsync: notice: metrics file '{metrics}' not written: no folder "
                      f"'{os.path.dirname(metrics)}' (is node-exporter's textfile collector "
                      f"installed?)", r.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(metrics)))

    def test_an_empty_metrics_or_log_file_is_a_usage_error(self):
        for option in ("--metrics-file", "--log-file"):
            r = subprocess.run([self.bin, "--endpoint", self.endpoint, "sync", option, "",
                                self.home, f"s3://{self.bucket}"], env=self.env,
                               capture_output=True, text=True, timeout=TIMEOUT)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(option, r.stderr)
            self.assertIn("an empty name", r.stderr)

    def test_json_reports_a_run_that_could_not_start(self):
        import json
        env = dict(self.env, AWS_SECRET_ACCESS_KEY="wrong-secret")
        r = subprocess.run([self.bin, "--endpoint", self.endpoint, "sync", "--json", self.home,
                            f"s3://{self.bucket}"], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual((report["started"], report["ok"], report["exit_code"]), (False, False, 1))
        self.assertEqual(report["error_count"], len(report["errors"]))
        self.assertRegex(report["errors"][0]["message"].lower(), "signature|secret|denied")
        self.assertIn(report["errors"][0]["message"], r.stderr)

    def test_units_verify(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("no systemd-analyze")  # a machine without systemd: nothing to verify
        units = os.path.join(ROOT, "deploy", "systemd")
        tmp = tempfile.mkdtemp(dir=self.home)
        for suffix in ("service", "timer"):
            shutil.copy(os.path.join(units, f"gwsync-nightly@.{suffix}"),
                        os.path.join(tmp, f"gwsync-nightly@db-wal.{suffix}"))
        r = subprocess.run(["systemd-analyze", "verify", "gwsync-nightly@db-wal.service",
                            "gwsync-nightly@db-wal.timer"], cwd=tmp, capture_output=True,
                           text=True, timeout=TIMEOUT)
        # Where gwsync is not installed, the only complaints are its absence.
        problems = [l for l in (r.stdout + r.stderr).splitlines()
                    if "/usr/bin/gwsync is not executable" not in l and "man gwsync(1)" not in l]
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
