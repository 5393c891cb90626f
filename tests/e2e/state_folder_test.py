#!/usr/bin/env python3
"""gwsync's state folder (.gwsync) is its own, against the real gateway: an
object named `.gwsync.rclonelink` (what rclone's --links would turn into a
link in place of the state folder) is a key like any other and comes back
byte-exact; a link planted at .gwsync, or at a file in it, is refused by
name and nothing is written or read through it; a user's file or object
merely named like one of gwsync's temporaries is synced like any other and
survives the next run; what a backup writes has the modes it should.

Reads GWSYNC_BIN and the gateway's env (tools/test.sh sets them).
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
from gwtest import clean_env, require  # noqa: E402

TIMEOUT = 120


class StateFolderTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        access = require("GWSYNC_TEST_ACCESS_KEY")
        secret = require("GWSYNC_TEST_SECRET_KEY")
        self.work = tempfile.mkdtemp(prefix="gwsync-state-")
        self.env = clean_env(self.work)
        self.env.update(AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret)
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=access,
                               aws_secret_access_key=secret, region_name="us-east-1",
                               config=Config(s3={"addressing_style": "path"}))
        stamp = f"{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.src, self.dst = f"gwt-state-src-{stamp}", f"gwt-state-dst-{stamp}"
        self.buckets = []
        # What a planted link would point at: must stay empty.
        self.victim = os.path.join(self.work, "victim")
        os.mkdir(self.victim)

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

    def bucket(self, name, objects):
        self.s3.create_bucket(Bucket=name)
        self.buckets.append(name)
        for key, body in objects.items():
            self.s3.put_object(Bucket=name, Key=key, Body=body)

    def contents(self, bucket):
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                out[o["Key"]] = self.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        return out

    def test_a_planted_rclonelink_object_is_a_key_like_any_other(self):
        objects = {".gwsync.rclonelink": self.victim.encode(), "data": b"d",
                   "sub/.gwsync.rclonelink": self.victim.encode()}
        self.bucket(self.src, objects)
        backup = os.path.join(self.work, "backup")
        self.ok("sync", "--links", f"s3://{self.src}", backup)
        state = os.path.join(backup, ".gwsync")
        self.assertFalse(os.path.islink(state))
        self.assertTrue(os.path.isdir(state))
        self.assertTrue(os.path.exists(os.path.join(state, "manifest-latest")))
        self.assertEqual(os.listdir(self.victim), [])
        # The nested one is a link now (what --links is for), and verify
        # told so reads its target as the object's bytes.
        self.assertEqual(os.readlink(os.path.join(backup, "sub", ".gwsync")), self.victim)
        self.ok("verify", "--links", "--content", f"s3://{self.src}", backup)
        self.ok("sync", "--links", backup, f"s3://{self.dst}")
        self.buckets.append(self.dst)
        self.assertEqual(self.contents(self.dst), objects)

    def test_a_link_planted_at_the_state_folder_is_refused_by_name(self):
        self.bucket(self.src, {"data": b"d"})
        backup = os.path.join(self.work, "backup")
        os.mkdir(backup)
        os.symlink(self.victim, os.path.join(backup, ".gwsync"))
        r = self.gwsync("sync", f"s3://{self.src}", backup)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(f"'{backup}/.gwsync' is a symbolic link, not followed: gwsync keeps its "
                      f"own state there (move it aside)", r.stderr)
        self.assertEqual(os.listdir(self.victim), [])
        # The objects themselves are in.
        with open(os.path.join(backup, "data"), "rb") as f:
            self.assertEqual(f.read(), b"d")

    def test_a_link_planted_at_manifest_latest_is_not_read_nor_written_through(self):
        self.bucket(self.src, {"data": b"d"})
        backup = os.path.join(self.work, "backup")
        self.ok("sync", f"s3://{self.src}", backup)
        latest = os.path.join(backup, ".gwsync", "manifest-latest")
        secret = os.path.join(self.victim, "secret")
        with open(secret, "w") as f:
            f.write("not gwsync's")
        os.unlink(latest)
        os.symlink(secret, latest)
        r = self.gwsync("verify", latest, f"s3://{self.src}")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"'{latest}' is a symbolic link, not followed", r.stderr)
        self.ok("sync", f"s3://{self.src}", backup)  # writes a new one in its place
        self.assertFalse(os.path.islink(latest))
        with open(secret) as f:
            self.assertEqual(f.read(), "not gwsync's")

    def test_modes_of_what_a_backup_writes_under_umask_022(self):
        # The state folder 0700 and its files 0600 whatever the umask; a
        # restored file the object's recorded mode less the umask (no
        # setuid, no world-writable file from a bucket) unless asked.
        self.s3.create_bucket(Bucket=self.src)
        self.buckets.append(self.src)
        self.s3.put_bucket_tagging(Bucket=self.src,
                                   Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        for key, mode in (("open", "777"), ("suid", "4777"), ("plain", "640"), ("none", None)):
            self.s3.put_object(Bucket=self.src, Key=key, Body=key.encode(),
                               Metadata={"mode": mode} if mode else {})
        backup, log = os.path.join(self.work, "backup"), os.path.join(self.work, "sync.log")
        old = os.umask(0o022)
        try:
            self.ok("sync", "--log-file", log, f"s3://{self.src}", backup)
            exact = os.path.join(self.work, "exact")
            self.ok("sync", "--preserve-modes", f"s3://{self.src}", exact)
        finally:
            os.umask(old)

        def mode(*path):
            return oct(os.lstat(os.path.join(*path)).st_mode & 0o7777)

        state = os.path.join(backup, ".gwsync")
        private = {".gwsync": mode(state), ".gwsync/bucket": mode(state, "bucket"),
                   "log": mode(log)}
        private.update({n: mode(state, n) for n in os.listdir(state) if n.startswith("manifest")})
        private.update({f"bucket/{n}": mode(state, "bucket", n)
                        for n in os.listdir(os.path.join(state, "bucket"))})
        self.assertIn("bucket/tagging.xml", private)
        for name, m in private.items():
            self.assertEqual(m, "0o700" if name.startswith(".gwsync") else "0o600", name)
        self.assertEqual({k: mode(backup, k) for k in ("open", "suid", "plain", "none")},
                         {"open": "0o755", "suid": "0o755", "plain": "0o640", "none": "0o644"})
        self.assertEqual((mode(exact, "open"), mode(exact, "suid")), ("0o777", "0o777"))

    def test_files_named_like_temporaries_are_a_users(self):
        # A folder's file and a bucket's object named like gwsync's
        # temporaries (".NAME.gwsync-XXXXXX"): synced both ways, and left
        # alone by the next run, which removes only temporaries it can
        # prove are its own.
        names = {".data.gwsync-AbC123": b"looks like a temporary", ".x.gwsync-L00001": b"too"}
        src = os.path.join(self.work, "src")
        os.mkdir(src)
        for name, body in names.items():
            with open(os.path.join(src, name), "wb") as f:
                f.write(body)
            os.utime(os.path.join(src, name), (1, 1))  # old, as a stale temporary would be
        self.s3.create_bucket(Bucket=self.src)
        self.buckets.append(self.src)
        self.ok("sync", src + "/", f"s3://{self.src}")
        self.assertEqual(self.contents(self.src), names)
        backup = os.path.join(self.work, "backup")
        for _ in range(2):
            self.ok("sync", f"s3://{self.src}", backup)
            for name, body in names.items():
                with open(os.path.join(backup, name), "rb") as f:
                    self.assertEqual(f.read(), body, name)
        self.ok("sync", "--delete", src + "/", f"s3://{self.src}")
        self.assertEqual(self.contents(self.src), names)


if __name__ == "__main__":
    unittest.main(verbosity=2)
