#!/usr/bin/env python3
"""A backup on a file system without user extended attributes (ramfs here;
vfat, some NFS exports and many FUSE mounts in the field) still gives the
objects back with their headers, metadata and tags: the run manifest keeps
them, and a restore reads them from it. Against the real gateway; as root
(the test mounts the ramfs), failing, never skipping, otherwise.

Reads GWSYNC_BIN and the gateway's env (tools/test.sh sets them).
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import GatewayCase  # noqa: E402

HEADERS = dict(ContentType="text/html; charset=utf-8", CacheControl="max-age=60",
               ContentDisposition='inline; filename="index.html"', ContentLanguage="en",
               Metadata={"owner": "ops", "build": "42"})
TAGS = {"TagSet": [{"Key": "tier", "Value": "web"}]}


class HeadersWithoutXattrsTest(GatewayCase, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.assertEqual(os.geteuid(), 0, "this test mounts a ramfs: run it as root")
        self.mnt = os.path.join(self.work, "ramfs")
        os.mkdir(self.mnt)
        subprocess.run(["mount", "-t", "ramfs", "ramfs", self.mnt], check=True)
        self.addCleanup(subprocess.run, ["umount", self.mnt])
        probe = os.path.join(self.mnt, "probe")
        open(probe, "w").close()
        with self.assertRaises(OSError, msg="ramfs took a user attribute"):
            os.setxattr(probe, "user.probe", b"1")
        os.unlink(probe)

    def head(self, bucket, key):
        h = self.s3.head_object(Bucket=bucket, Key=key)
        tags = self.s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        return ({k: h.get(k) for k in ("ContentType", "CacheControl", "ContentDisposition",
                                        "ContentLanguage", "Metadata")}, tags)

    def test_headers_metadata_and_tags_come_back_through_the_manifest(self):
        src = self.bucket("gwt-noxattr-src")
        self.s3.put_object(Bucket=src, Key="site/index.html", Body=b"<html></html>",
                           Tagging="tier=web", **HEADERS)
        self.s3.put_object(Bucket=src, Key="plain.bin", Body=b"plain")
        backup = os.path.join(self.mnt, "backup")
        r = self.ok("sync", f"s3://{src}", backup)
        self.assertIn("keeps no user attributes", r.stderr)
        self.assertEqual(r.stderr.count("gwsync: notice:"), 1, r.stderr)  # said once

        dst = self.bucket("gwt-noxattr-dst")
        self.ok("sync", backup, f"s3://{dst}")
        got, tags = self.head(dst, "site/index.html")
        self.assertEqual(got, HEADERS)
        self.assertEqual(tags, TAGS["TagSet"])
        got, tags = self.head(dst, "plain.bin")
        self.assertEqual((got["CacheControl"], got["Metadata"].get("owner"), tags),
                         (None, None, []))
        self.ok("verify", backup, f"s3://{dst}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
