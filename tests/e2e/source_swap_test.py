#!/usr/bin/env python3
"""A local user changes the source under a running upload, against the real
gateway: gwsync as root uploads a user's tree while the user swaps a folder
for a link to root's secrets, or a file for a FIFO. Nothing behind the link
is uploaded (each file is skipped with a notice naming it), and the FIFO
neither blocks the run nor is read. The swap waits for the gateway's own
count of PUTs (its perf counters), so it lands mid-run.

Reads GWSYNC_BIN and the gateway's env (tools/test.sh sets them).
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402

TIMEOUT = 120


def gateway_puts(asok):
    out = subprocess.run(["ceph", "--admin-daemon", asok, "perf", "dump"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return json.loads(out)["rgw"]["put"]


class SourceSwapTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        # The one gateway this test talks to, and its counters.
        self.asok = require("GWSYNC_TEST_ASOKS").split()[0]
        self.work = tempfile.mkdtemp(prefix="gwsync-swap-")
        self.env = gwsync_env(self.work)
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint,
                               aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
                               region_name="us-east-1",
                               config=Config(s3={"addressing_style": "path"}))
        self.bucket = f"gwt-swap-{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.s3.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        subprocess.run([self.bin, "--endpoint", self.endpoint, "rb", "--force",
                        f"s3://{self.bucket}"], env=self.env, capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(self.work, ignore_errors=True)

    def stored(self):
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for o in page.get("Contents", []):
                out[o["Key"]] = self.s3.get_object(Bucket=self.bucket,
                                                   Key=o["Key"])["Body"].read().decode()
        return out

    def user_tree(self, files):
        """The user's tree (owned by nobody when the test runs as root) and a
        root-only folder of secrets beside it; returns (src, secret, run_as)."""
        src, secret = os.path.join(self.work, "src"), os.path.join(self.work, "secret")
        os.makedirs(secret, mode=0o700)
        for name, data in files.items():
            path = os.path.join(src, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(data)
            with open(os.path.join(secret, os.path.basename(name)), "w") as f:
                f.write("SECRET " + name)
            os.chmod(os.path.join(secret, os.path.basename(name)), 0o600)
        run_as = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chmod(self.work, 0o711)
            for root, dirs, names in os.walk(src):
                for n in [root] + [os.path.join(root, x) for x in dirs + names]:
                    os.chown(n, nobody.pw_uid, nobody.pw_gid)
            run_as = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                      "--clear-groups"]
        return src, secret, run_as

    def start(self, src):
        # Slowed to 40 requests a second so that the swap lands mid-run.
        return subprocess.Popen([self.bin, "--endpoint", self.endpoint, "--rps", "40", "sync",
                                 "--no-index", "--concurrency", "2", src + "/",
                                 f"s3://{self.bucket}"], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def wait_for_puts(self, before, n, proc):
        deadline = time.monotonic() + TIMEOUT
        while gateway_puts(self.asok) - before < n:
            self.assertIsNone(proc.poll(), "the upload ended before the swap")
            self.assertLess(time.monotonic(), deadline, "the upload did not start")
            time.sleep(0.02)

    def test_a_folder_swapped_for_a_link_under_a_running_upload(self):
        files = {f"sub/f-{i:03d}": f"mine {i}" for i in range(200)}
        src, secret, run_as = self.user_tree(files)
        before = gateway_puts(self.asok)
        proc = self.start(src)
        self.wait_for_puts(before, 10, proc)
        # One renameat2(RENAME_EXCHANGE): the folder is a link from one
        # instant to the next. (`mv` then `ln` leaves a moment with no `sub`
        # at all: a file opened then is gone, not behind a link, and on a
        # busy machine that moment took every file left.)
        swap = ("import ctypes, os, sys; libc = ctypes.CDLL(None, use_errno=True); "
                "os.symlink(sys.argv[1], 'sub.link'); "
                "r = libc.renameat2(-100, b'sub.link', -100, b'sub', 2); "  # AT_FDCWD, EXCHANGE
                "sys.exit(0 if r == 0 else os.strerror(ctypes.get_errno()))")
        # Debian's python3: the test's own may sit where the user cannot read.
        subprocess.run(run_as + ["/usr/bin/python3", "-c", swap, secret], cwd=src, check=True)
        out, err = proc.communicate(timeout=TIMEOUT)
        got = self.stored()
        leaked = sorted(k for k, v in got.items() if "SECRET" in v)
        self.assertEqual(leaked, [], f"{len(leaked)} objects hold root's secrets: {err}")
        self.assertEqual(proc.returncode, 0, err)
        self.assertGreater(len(got), 0, err)
        self.assertLess(len(got), 200, f"the swap came too late to test anything: {err}")
        skipped = sorted(k for k in files if k not in got)
        self.assertIn(f"gwsync: notice: s3://{self.bucket}/{skipped[-1]}: '{src}/{skipped[-1]}': a "
                      f"symbolic link on its way, not read through it (changed since it was "
                      f"listed)", err)

    def test_a_file_swapped_for_a_fifo_after_the_walk_does_not_block(self):
        files = {f"f-{i:03d}": f"mine {i}" for i in range(40)}
        files["zz-last"] = "becomes a FIFO"
        src, _, run_as = self.user_tree(files)
        before = gateway_puts(self.asok)
        proc = self.start(src)
        self.wait_for_puts(before, 3, proc)
        fifo = os.path.join(src, "zz-last")
        subprocess.run(run_as + ["sh", "-c", f"rm {fifo} && mkfifo {fifo}"], check=True)
        started = time.monotonic()
        out, err = proc.communicate(timeout=TIMEOUT)  # fails the test if it hangs
        self.assertEqual(proc.returncode, 0, err)
        self.assertLess(time.monotonic() - started, 30, err)
        got = self.stored()
        self.assertEqual(len(got), 40, err)
        self.assertNotIn("zz-last", got)
        self.assertIn(f"gwsync: notice: s3://{self.bucket}/zz-last: '{fifo}': now a FIFO (changed "
                      f"since it was listed), not read", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
