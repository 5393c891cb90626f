#!/usr/bin/env python3
"""A sync's exit code tells how it ended, against the real gateway: 0 done,
1 nothing done (a wrong key, every object refused), 2 a usage error, 3 a
partial run (some objects failed, the rest is in place); the `--json`
report and the metrics file carry the same code. (75, another run of the
pair, is pair_lock_test.py's; 130 and 143, signals, resume_test.py's.)

Reads GWSYNC_BIN and the gateway's env (tools/test.sh sets them).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import GatewayCase  # noqa: E402


class ExitCodesTest(GatewayCase, unittest.TestCase):
    def backup_with_links(self, objects):
        """A backup of `objects` into a folder whose `lnk` is a link
        elsewhere: keys under lnk/ are refused, the others land."""
        src = self.bucket("gwt-exit", objects)
        dst = os.path.join(self.work, "backup")
        elsewhere = os.path.join(self.work, "elsewhere")
        os.makedirs(dst)
        os.makedirs(elsewhere)
        os.symlink(elsewhere, os.path.join(dst, "lnk"))
        metrics = os.path.join(self.work, "gwsync.prom")
        r = self.gwsync("sync", "--json", "--metrics-file", metrics, f"s3://{src}", dst)
        self.assertEqual(os.listdir(elsewhere), [], "written through the link")
        with open(metrics) as f:
            code = [l for l in f if l.startswith("gwsync_sync_exit_code")]
        return r, dst, code

    def test_partial_run_is_3(self):
        r, dst, metrics = self.backup_with_links({"ok": b"in", "lnk/x": b"refused"})
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        with open(os.path.join(dst, "ok"), "rb") as f:
            self.assertEqual(f.read(), b"in")
        report = json.loads(r.stdout)
        self.assertEqual((report["exit_code"], report["error_count"]), (3, 1))
        self.assertIn("1 objects failed", r.stderr)
        self.assertEqual(len(metrics), 1, metrics)
        self.assertTrue(metrics[0].rstrip().endswith(" 3"), metrics)

    def test_every_object_refused_is_1(self):
        r, dst, metrics = self.backup_with_links({"lnk/x": b"refused", "lnk/y": b"refused"})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout)["exit_code"], 1)
        self.assertTrue(metrics[0].rstrip().endswith(" 1"), metrics)

    def test_complete_run_is_0(self):
        src = self.bucket("gwt-exit", {"a": b"a"})
        r = self.gwsync("sync", "--json", f"s3://{src}", os.path.join(self.work, "b"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["exit_code"], 0)

    def test_a_wrong_key_is_1_and_a_wrong_flag_2(self):
        src = self.bucket("gwt-exit", {"a": b"a"})
        env = dict(self.env, AWS_SECRET_ACCESS_KEY="not-the-secret")
        r = self.gwsync("sync", f"s3://{src}", os.path.join(self.work, "b"), env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the secret key does not match", r.stderr)
        r = self.gwsync("sync", "--no-such-flag", f"s3://{src}", os.path.join(self.work, "b"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
