#!/usr/bin/env python3
"""A backup gives the bucket back as it was, against RGW and against moto's
server: boto3 builds a bucket with every kind of key a folder cannot hold
under its own name (keys under .gwsync/, `a` beside `a/b`, empty, `.` and
`..` segments, a 300-byte segment, markers with and without content), plus
content headers, user metadata and tags on a small and a multipart object.
gwsync backs it up to a folder, restores the folder to a new bucket and
copies the bucket to another; boto3 compares each with the source (keys,
bytes, headers, metadata, tags), and `gwsync verify` passes on the backup
and on the restored bucket. A second night with --delete exits 0. Saved
bucket settings go to an existing bucket only when asked; a one-bucket
backup is refused as an every-bucket one, a mistyped prefix is an error and
an empty bucket a notice.

Reads GWSYNC_BIN and the gateway's env (tools/test.sh sets them); starts
and stops its own moto server.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from gwtest import clean_env, data_of, require  # noqa: E402
from moto_test import MotoServer  # noqa: E402

MiB = 1 << 20
TIMEOUT = 120

HEADERS = {
    "ContentType": "text/html; charset=utf-8",
    "CacheControl": "max-age=300, public",
    "ContentDisposition": 'attachment; filename="index.html"',
    "ContentEncoding": "identity",
    "ContentLanguage": "de-CH",
    "Expires": "Wed, 21 Oct 2037 07:28:00 GMT",
}
COMPARED = ["ContentType", "CacheControl", "ContentDisposition", "ContentEncoding",
            "ContentLanguage", "Expires"]
# What gwsync's own uploads add: the part layout of a multipart object.
OWN_METADATA = {"gwsync-part-size", "gwsync-part-doubling"}

ODD_KEYS = {
    ".gwsync/anything": b"user data under the tool's folder name",
    ".gwsync/manifest-latest": b"not a manifest",
    ".gwsync": b"a key named like the state folder",
    "withcontent/": b"a marker with bytes",
    "reports/": b"",
    "a": b"a file and ...",
    "a/b": b"... a folder of the same name",
    "x//y": b"empty segment",
    "./x": b"dot segment",
    "x/./y": b"dot segment inside",
    "x/../y": b"dot-dot segment",
    "L" * 300 + "/f": b"over-long segment",
}


class RoundTrip:
    """The round trip against one S3 implementation (a mixin: setUp gives
    endpoint, access and secret)."""

    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.work = tempfile.mkdtemp(prefix="gwsync-roundtrip-")
        self.env = clean_env(self.work)
        self.env.update(AWS_ACCESS_KEY_ID=self.access, AWS_SECRET_ACCESS_KEY=self.secret)
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access,
                               aws_secret_access_key=self.secret, region_name="us-east-1",
                               config=Config(s3={"addressing_style": "path"}))
        stamp = f"{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.src, self.dst, self.copy = (f"gwt-rt-{n}-{stamp}" for n in ("src", "dst", "copy"))
        self.buckets = []

    def tearDown(self):
        for b in self.buckets:
            self.gwsync("rb", "--force", f"s3://{b}")
        shutil.rmtree(self.work, ignore_errors=True)

    def gwsync(self, *args):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, *args], env=self.env,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def ok(self, *args):
        r = self.gwsync(*args)
        self.assertEqual(r.returncode, 0, f"gwsync {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return r

    def make_source(self):
        self.s3.create_bucket(Bucket=self.src)
        self.buckets.append(self.src)
        for key, body in ODD_KEYS.items():
            self.s3.put_object(Bucket=self.src, Key=key, Body=body)
        self.s3.put_bucket_tagging(Bucket=self.src,
                                   Tagging={"TagSet": [{"Key": "backup", "Value": "nightly"}]})
        self.s3.put_object(Bucket=self.src, Key="real/data.txt", Body=b"plain")
        self.s3.put_object(Bucket=self.src, Key="site/index.html", Body=b"<html>hi</html>",
                           Metadata={"owner": "web-team", "build": "1234"},
                           Tagging="team=web&stage=prod%20eu", **HEADERS)
        # Multipart, with headers, metadata and tags.
        big = data_of(12 * MiB, 7)
        up = self.s3.create_multipart_upload(Bucket=self.src, Key="site/big.bin",
                                             Metadata={"kind": "blob"},
                                             Tagging="size=big", **HEADERS)
        parts = []
        for i in range(0, len(big), 5 * MiB):
            n = len(parts) + 1
            r = self.s3.upload_part(Bucket=self.src, Key="site/big.bin", PartNumber=n,
                                    UploadId=up["UploadId"], Body=big[i:i + 5 * MiB])
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        self.s3.complete_multipart_upload(Bucket=self.src, Key="site/big.bin",
                                          UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": parts})

    def bucket_tags(self, bucket):
        try:
            tags = self.s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
        except self.s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchTagSetError"):
                return []
            raise
        return sorted((t["Key"], t["Value"]) for t in tags)

    def keys(self, bucket):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            out += [o["Key"] for o in page.get("Contents", [])]
        return sorted(out)

    def object(self, bucket, key):
        got = self.s3.get_object(Bucket=bucket, Key=key)
        tags = self.s3.get_object_tagging(Bucket=bucket, Key=key).get("TagSet", [])
        meta = {k: v for k, v in got["Metadata"].items() if k not in OWN_METADATA}
        headers = {h: str(got.get(h, "")) for h in COMPARED}
        return {"body": got["Body"].read(), "headers": headers, "metadata": meta,
                "tags": sorted((t["Key"], t["Value"]) for t in tags)}

    def assert_same(self, bucket):
        want = self.keys(self.src)
        self.assertEqual(self.keys(bucket), want)
        for key in want:
            self.assertEqual(self.object(bucket, key), self.object(self.src, key), key)

    def test_backup_restore_and_copy_give_the_bucket_back(self):
        self.make_source()
        backup = os.path.join(self.work, "backup")
        night = self.ok("sync", s3url := f"s3://{self.src}", backup)
        self.assertIn("keys kept in the key store", night.stdout)
        self.ok("verify", s3url, backup)

        # The restore, into a bucket made beforehand: its saved settings
        # are applied only when asked, and it says so.
        self.ok("mb", f"s3://{self.dst}")
        self.buckets.append(self.dst)
        restore = self.ok("sync", backup, f"s3://{self.dst}")
        self.assertRegex(restore.stderr, r"saved settings \(tagging.*\) were not applied")
        self.assertEqual(self.bucket_tags(self.dst), [])
        self.assert_same(self.dst)
        self.ok("verify", f"s3://{self.dst}", backup)
        self.ok("sync", "--apply-bucket-settings", backup, f"s3://{self.dst}")
        self.assertEqual(self.bucket_tags(self.dst), [("backup", "nightly")])

        # A one-bucket backup is not an every-bucket one.
        r = self.gwsync("sync", backup, "s3://")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("is the backup of one bucket", r.stderr)
        # A mistyped prefix is an error, and no backup is made of it.
        typo = os.path.join(self.work, "typo")
        r = self.gwsync("sync", f"s3://{self.src}/no-such-prefix/", typo)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no such prefix", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(typo, ".gwsync", "manifest-latest")))

        # Bucket to bucket.
        self.ok("mb", f"s3://{self.copy}")
        self.buckets.append(self.copy)
        self.ok("sync", s3url, f"s3://{self.copy}")
        self.assert_same(self.copy)

        # The next night: nothing to fetch, nothing refused.
        again = self.ok("sync", "--delete", s3url, backup)
        self.assertNotIn("refused", again.stdout + again.stderr)


    def test_an_empty_bucket_is_said(self):
        self.s3.create_bucket(Bucket=self.src)
        self.buckets.append(self.src)
        r = self.ok("sync", f"s3://{self.src}", os.path.join(self.work, "empty"))
        self.assertIn("the bucket is empty", r.stderr)


    def test_a_versioned_bucket_says_what_the_backup_lacks(self):
        self.s3.create_bucket(Bucket=self.src)
        try:
            self.s3.put_bucket_versioning(Bucket=self.src,
                                          VersioningConfiguration={"Status": "Enabled"})
            self.s3.put_object(Bucket=self.src, Key="k", Body=b"one")
            self.s3.put_object(Bucket=self.src, Key="k", Body=b"two")
            backup = os.path.join(self.work, "versioned")
            r = self.ok("sync", f"s3://{self.src}", backup)
            self.assertIn("the bucket is versioned: 1 older versions and 0 delete markers not "
                          "backed up; --all-versions keeps them", r.stderr)
            with open(os.path.join(backup, "k"), "rb") as f:
                self.assertEqual(f.read(), b"two")
        finally:
            versions = self.s3.list_object_versions(Bucket=self.src)
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
                self.s3.delete_object(Bucket=self.src, Key=v["Key"], VersionId=v["VersionId"])
            self.s3.delete_bucket(Bucket=self.src)


class RgwRoundTripTest(RoundTrip, unittest.TestCase):
    def setUp(self):
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.access = require("GWSYNC_TEST_ACCESS_KEY")
        self.secret = require("GWSYNC_TEST_SECRET_KEY")
        super().setUp()


class MotoRoundTripTest(RoundTrip, unittest.TestCase):
    def setUp(self):
        self.moto_dir = tempfile.mkdtemp(prefix="gwsync-rt-moto-")
        self.moto = MotoServer(self.moto_dir)
        self.moto.wait_ready()
        self.endpoint = self.moto.url
        self.access, self.secret = "testing", "testing"
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.moto.stop()
        shutil.rmtree(self.moto_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
