#!/usr/bin/env python3
"""One verdict against the real RGW: is a copy of a multipart object that
another tool uploaded right? boto3 uploads in parts of its own size; gwsync
checks a download against the ETag with the part sizes tools use, or the
layout an object of its own records. Through a proxy that flips a byte of
every GET (tests/faults/fault_proxy.py --flip-byte-at), `get -` and `sync`
never end as verified; an object of a part size no candidate has is
"unverified" for sync and verify alike, never "different" and never OK; an
object gwsync uploaded in odd parts is checked exactly by both.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment (tools/test.sh sets
them) and fails, never skips, when they are missing.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import data_of, require  # noqa: E402

MiB = 1 << 20
TIMEOUT = 120
FLIP_AT = 9_000_000  # inside the second 8 MiB part


def setUpModule():
    global BIN, ENDPOINT, ACCESS, SECRET, SCRATCH, PROXY, PROXY_URL
    BIN = require("GWSYNC_BIN")
    ENDPOINT = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
        "GWSYNC_TEST_ENDPOINTS").split()[0]
    ACCESS = require("GWSYNC_TEST_ACCESS_KEY")
    SECRET = require("GWSYNC_TEST_SECRET_KEY")
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-verdict-")
    os.environ["HOME"] = SCRATCH
    for var in list(os.environ):
        if var.startswith("AWS_") or var.lower().endswith("_proxy"):
            del os.environ[var]
    PROXY = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "..", "faults", "fault_proxy.py"), "--upstream",
         ENDPOINT, "--flip-byte-at", str(FLIP_AT)], stdout=subprocess.PIPE, text=True)
    PROXY_URL = f"http://127.0.0.1:{PROXY.stdout.readline().strip()}"


def tearDownModule():
    PROXY.send_signal(signal.SIGTERM)
    PROXY.wait(10)
    PROXY.stdout.close()
    shutil.rmtree(SCRATCH, ignore_errors=True)


class VerdictTest(unittest.TestCase):
    counter = 0

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=SCRATCH)
        VerdictTest.counter += 1
        self.bucket = f"gwsync-verdict-{os.getpid()}-{VerdictTest.counter}"
        self.s3 = boto3.client(
            "s3", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            config=Config(s3={"addressing_style": "path"},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))
        self.s3.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                self.s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
        self.s3.delete_bucket(Bucket=self.bucket)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def upload_with_boto3(self, key, data, part_size):
        path = os.path.join(self.tmp, "upload")
        with open(path, "wb") as f:
            f.write(data)
        self.s3.upload_file(path, self.bucket, key, Config=TransferConfig(
            multipart_threshold=part_size, multipart_chunksize=part_size))
        os.unlink(path)
        etag = self.s3.head_object(Bucket=self.bucket, Key=key)["ETag"].strip('"')
        self.assertTrue(etag.endswith(f"-{-(-len(data) // part_size)}"), etag)

    def gwsync(self, *args, endpoint=None, stdout=subprocess.PIPE):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET)
        return subprocess.run([BIN, "--endpoint", endpoint or ENDPOINT, *args], env=env,
                              stdout=stdout, stderr=subprocess.PIPE, timeout=TIMEOUT)

    def test_boto3_parts_through_a_byte_flipping_proxy_never_end_verified(self):
        data = data_of(20 * MiB, 1)
        self.upload_with_boto3("obj", data, 8 * MiB)  # boto3's own default part size
        # Straight from the gateway: checked at 8 MiB, verified, said nothing of.
        r = self.gwsync("get", f"s3://{self.bucket}/obj", "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout == data)
        self.assertNotIn(b"unverified", r.stderr)
        # Through the proxy: the bytes are not the object's, and no part size
        # proves either way. It is said, never passed as verified.
        r = self.gwsync("get", f"s3://{self.bucket}/obj", "-", endpoint=PROXY_URL)
        self.assertFalse(r.stdout == data)
        self.assertIn(b"unverified: s3://", r.stderr)
        self.assertIn(b"no part size reproduces", r.stderr)
        r = self.gwsync("get", "--require-verified", f"s3://{self.bucket}/obj", "-",
                        endpoint=PROXY_URL)
        self.assertEqual(r.returncode, 1, r.stderr)
        out = os.path.join(self.tmp, "file")
        r = self.gwsync("get", "--require-verified", f"s3://{self.bucket}/obj", out,
                        endpoint=PROXY_URL)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertFalse(os.path.exists(out), "an unproven file was put in place")
        # sync: counted and named, and not taken as in sync: the next run checks again.
        dest = os.path.join(self.tmp, "backup")
        index = os.path.join(self.tmp, "index")
        for _ in range(2):
            r = self.gwsync("sync", "--json", "--index", index, f"s3://{self.bucket}", dest,
                            endpoint=PROXY_URL)
            self.assertEqual(r.returncode, 0, r.stderr)
            report = json.loads(r.stdout)
            self.assertEqual(report["unverified_count"], 1, report)
            self.assertTrue(report["unverified"][0]["key"].endswith("obj"), report["unverified"])
            self.assertEqual(report["actions"]["download"]["objects"], 1, report["actions"])
        # The run manifest marks it: verify against it never calls it a match.
        manifest = os.path.join(dest, ".gwsync", "manifest-latest")
        r = self.gwsync("verify", manifest, f"s3://{self.bucket}")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn(b"verify: NOT PROVEN", r.stdout)
        r = self.gwsync("sync", "--require-verified", f"s3://{self.bucket}",
                        os.path.join(self.tmp, "strict"), endpoint=PROXY_URL)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "strict", "obj")))

    def test_an_odd_part_size_is_unverified_for_sync_and_verify_alike(self):
        data = data_of(20 * MiB, 2)
        self.upload_with_boto3("odd", data, 6_000_000)  # no tool's size, no whole MiB
        dest = os.path.join(self.tmp, "backup")
        r = self.gwsync("sync", "--json", f"s3://{self.bucket}", dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["unverified_count"], 1)
        with open(os.path.join(dest, "odd"), "rb") as f:
            self.assertTrue(f.read() == data)
        manifest = os.path.join(dest, ".gwsync", "manifest-latest")
        for args in (["--content", f"s3://{self.bucket}", dest], [manifest, f"s3://{self.bucket}"]):
            r = self.gwsync("verify", *args)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(b"unverified odd", r.stdout)
            self.assertNotIn(b"different odd", r.stdout)
            self.assertIn(b"verify: NOT PROVEN", r.stdout)
        # Every bucket of the gateway against a folder of buckets: the key
        # stays unverified in the sum (other tests' buckets are missing here).
        every = os.path.join(self.tmp, "all")
        os.makedirs(every)
        os.rename(dest, os.path.join(every, self.bucket))
        r = self.gwsync("verify", "--json", "--content", "s3://", every)
        self.assertEqual(r.returncode, 1, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["unverified_count"], 1, report["unverified"])
        self.assertFalse(report["match"])

    def test_gwsyncs_own_odd_part_size_is_checked_exactly_by_both(self):
        data = data_of(20 * MiB, 3)
        src = os.path.join(self.tmp, "src")
        with open(src, "wb") as f:
            f.write(data)
        r = self.gwsync("--part-size", "7MiB", "--multipart-threshold", "7MiB", "put", src,
                        f"s3://{self.bucket}/ours")
        self.assertEqual(r.returncode, 0, r.stderr)
        dest = os.path.join(self.tmp, "backup")
        r = self.gwsync("sync", "--json", f"s3://{self.bucket}", dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["unverified_count"], 0)
        for args in (["--content", f"s3://{self.bucket}", dest], ["--content", dest,
                                                                 f"s3://{self.bucket}"]):
            r = self.gwsync("verify", *args)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn(b"verify: OK", r.stdout)
        # Damaged on the way: proven, an error, nothing in place.
        r = self.gwsync("sync", f"s3://{self.bucket}", os.path.join(self.tmp, "damaged"),
                        endpoint=PROXY_URL)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"recorded part size", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "damaged", "ours")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
