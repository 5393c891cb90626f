#!/usr/bin/env python3
"""Interop between gwsync and two independent S3 clients, boto3 and s3cmd,
against the real RGW: what gwsync uploads they read back byte-exact, what they
upload gwsync reads back byte-exact, and their listings see gwsync's keys.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment (tools/test.sh sets
them) and fails, never skips, when they are missing.
"""

import boto3
import os
import shutil
import subprocess
import sys
import tempfile

import unittest
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import data_of, require  # noqa: E402

MiB = 1 << 20
TIMEOUT = 60  # seconds for any one command
UNICODE_KEY = "dir with spaces/ünïcødé ☃ naïve €.bin"


def setUpModule():
    global BIN, ENDPOINT, ACCESS, SECRET, SCRATCH
    BIN = require("GWSYNC_BIN")
    if not os.access(BIN, os.X_OK):
        raise RuntimeError(f"GWSYNC_BIN={BIN} is not an executable")
    ENDPOINT = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
        "GWSYNC_TEST_ENDPOINTS").split()[0]
    ACCESS = require("GWSYNC_TEST_ACCESS_KEY")
    SECRET = require("GWSYNC_TEST_SECRET_KEY")
    # A scratch HOME so that no one's ~/.s3cfg or ~/.aws leaks into any client.
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-interop-")
    os.environ["HOME"] = SCRATCH
    for var in list(os.environ):
        if var.startswith("AWS_") or var.lower().endswith("_proxy"):
            del os.environ[var]


def tearDownModule():
    shutil.rmtree(SCRATCH, ignore_errors=True)


class InteropTest(unittest.TestCase):
    counter = 0

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=SCRATCH)
        InteropTest.counter += 1
        name = self.id().rsplit(".", 1)[-1].replace("_", "-").lower()
        self.bucket = f"gwi-{os.getpid()}-{InteropTest.counter}-{name}"[:63].rstrip("-")
        self.s3 = boto3.client(
            "s3", endpoint_url=ENDPOINT, region_name="us-east-1",
            aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
            config=Config(s3={"addressing_style": "path"},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required",
                          retries={"max_attempts": 1}))
        self.s3.create_bucket(Bucket=self.bucket)
        host = ENDPOINT.split("://", 1)[1].rstrip("/")
        self.s3cfg = os.path.join(self.tmp, "s3cfg")
        with open(self.s3cfg, "w") as f:
            f.write(f"[default]\naccess_key = {ACCESS}\nsecret_key = {SECRET}\n"
                    f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\n")

    def tearDown(self):
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                self.s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        for u in uploads:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=u["Key"],
                                           UploadId=u["UploadId"])
        self.s3.delete_bucket(Bucket=self.bucket)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- the three clients ------------------------------------------------

    def _run(self, argv, stdin=b""):
        env = {"HOME": SCRATCH, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET}
        proc = subprocess.run(argv, input=stdin, capture_output=True, env=env,
                              timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0,
                         f"{argv} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def gwsync(self, *args, stdin=b""):
        return self._run([BIN, "--endpoint", ENDPOINT, *args], stdin)

    def s3cmd(self, *args):
        return self._run(["s3cmd", "-c", self.s3cfg, "--no-progress", *args])

    def url(self, key):
        return f"s3://{self.bucket}/{key}"

    def local(self, name, data=None):
        path = os.path.join(self.tmp, name.replace("/", "_"))
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def assertSameBytes(self, got, want, what):
        # Not assertEqual: a diff of megabytes of binary helps no one.
        self.assertTrue(got == want, f"{what}: got {len(got)} bytes, want {len(want)}, differ")

    def gwsync_get_both_ways(self, key, want):
        dst = self.local("gwsync-got-" + key)
        self.gwsync("get", self.url(key), dst)
        self.assertSameBytes(self.read(dst), want, f"gwsync get {key} to a file")
        self.assertSameBytes(self.gwsync("get", self.url(key), "-"), want,
                             f"gwsync get {key} to stdout")

    def parts_in_etag(self, key):
        etag = self.s3.head_object(Bucket=self.bucket, Key=key)["ETag"].strip('"')
        return int(etag.split("-")[1]) if "-" in etag else 0

    # --- gwsync writes, others read ---------------------------------------

    def test_gwsync_put_read_by_boto3_and_s3cmd(self):
        cases = [("small.bin", data_of(1000 + 7, 1), []),
                 ("empty.bin", b"", []),
                 ("multi/part.bin", data_of(20 * MiB, 2),
                  ["--part-size", "5MiB", "--multipart-threshold", "5MiB"]),
                 (UNICODE_KEY, data_of(4096, 3), [])]
        for key, data, flags in cases:
            with self.subTest(key=key):
                self.gwsync(*flags, "put", self.local("src-" + key, data), self.url(key))
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                self.assertSameBytes(body, data, f"boto3 get {key}")
                dst = self.local("s3cmd-got-" + key)
                self.s3cmd("get", "--force", self.url(key), dst)
                self.assertSameBytes(self.read(dst), data, f"s3cmd get {key}")
        self.assertEqual(self.parts_in_etag("multi/part.bin"), 4)

    def test_gwsync_put_from_stdin_read_by_boto3(self):
        data = data_of(11 * MiB + 3, 4)
        self.gwsync("--part-size", "5MiB", "--multipart-threshold", "5MiB", "put", "-",
                    self.url("piped"), stdin=data)
        body = self.s3.get_object(Bucket=self.bucket, Key="piped")["Body"].read()
        self.assertSameBytes(body, data, "boto3 get of a piped upload")
        self.assertEqual(self.parts_in_etag("piped"), 3)

    def test_boto3_lists_gwsync_keys(self):
        keys = {"a": 1, "b/c": 10, "b/d/e": 100, UNICODE_KEY: 0, "z z": 7}
        for key, size in keys.items():
            self.gwsync("put", self.local("src-" + key, data_of(size, size)), self.url(key))
        listed = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, PaginationConfig={"PageSize": 2}):
            for obj in page.get("Contents", []):
                listed[obj["Key"]] = obj["Size"]
        self.assertEqual(listed, keys)
        top = self.s3.list_objects_v2(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in top.get("CommonPrefixes", [])],
                         ["b/", "dir with spaces/"])
        # And s3cmd's recursive listing names every key too.
        out = self.s3cmd("ls", "-r", f"s3://{self.bucket}").decode()
        for key in keys:
            self.assertIn(self.url(key), out)

    def test_gwsync_mb_rb_seen_by_boto3(self):
        bucket = self.bucket + "-mb"
        self.gwsync("mb", f"s3://{bucket}")
        try:
            names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
            self.assertIn(bucket, names)
            self.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
        finally:
            self.gwsync("rb", "--force", f"s3://{bucket}")
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertNotIn(bucket, names)

    # --- others write, gwsync reads ---------------------------------------

    def test_boto3_put_read_by_gwsync(self):
        cases = {"boto3/small": data_of(5000, 5), "boto3/empty": b"",
                 UNICODE_KEY: data_of(777, 6)}
        for key, data in cases.items():
            with self.subTest(key=key):
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
                self.gwsync_get_both_ways(key, data)
        # A multipart upload, part by part.
        data = data_of(12 * MiB + 5, 7)
        key = "boto3/multipart"
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        parts = []
        for n, at in enumerate(range(0, len(data), 5 * MiB), start=1):
            r = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload,
                                    PartNumber=n, Body=data[at:at + 5 * MiB])
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload,
                                          MultipartUpload={"Parts": parts})
        self.assertEqual(self.parts_in_etag(key), 3)
        self.gwsync_get_both_ways(key, data)

    def test_s3cmd_put_read_by_gwsync(self):
        cases = [("s3cmd/small", data_of(3000, 8), []),
                 (UNICODE_KEY, data_of(999, 9), []),
                 ("s3cmd/multipart", data_of(12 * MiB, 10), ["--multipart-chunk-size-mb=5"])]
        for key, data, flags in cases:
            with self.subTest(key=key):
                self.s3cmd("put", *flags, self.local("src-" + key, data), self.url(key))
                self.gwsync_get_both_ways(key, data)
        self.assertEqual(self.parts_in_etag("s3cmd/multipart"), 3)

    def test_s3cmd_server_side_copy_of_gwsync_object(self):
        # And the other way round: gwsync copies what s3cmd wrote.
        data = data_of(2 * MiB + 1, 11)
        self.gwsync("put", self.local("src", data), self.url("orig"))
        self.s3cmd("cp", self.url("orig"), self.url("s3cmd-copy"))
        self.gwsync_get_both_ways("s3cmd-copy", data)
        self.gwsync("cp", self.url("s3cmd-copy"), self.url("gwsync-copy"))
        body = self.s3.get_object(Bucket=self.bucket, Key="gwsync-copy")["Body"].read()
        self.assertSameBytes(body, data, "boto3 get of gwsync's server-side copy")

    # Dot segments are part of a key, not a path to normalise (libcurl would,
    # without CURLOPT_PATH_AS_IS).
    def test_dot_segment_key_read_by_gwsync(self):
        data = data_of(100, 12)
        self.s3.put_object(Bucket=self.bucket, Key="x/../y", Body=data)
        self.gwsync_get_both_ways("x/../y", data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
