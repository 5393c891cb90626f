#!/usr/bin/env python3
"""Bucket settings through a backup and a restore, against the real RGW:
boto3 (an independent client) gives bucket A every setting RGW supports,
`gwsync sync s3://A DIR` saves them under DIR/.gwsync/bucket/, and
`gwsync sync DIR s3://B` creates B with them; boto3 reads B's back and they
must equal A's, normalised only where the gateway rightly differs (the
policy names its own bucket). Also: a bucket without settings saves none,
`.gwsync/` never becomes an object, --no-bucket-settings applies nothing,
and a setting the gateway refuses is named, the rest applied, exit 1.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment (tools/test.sh sets
them) and fails, never skips, when they are missing.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402

TIMEOUT = 60


def setUpModule():
    global BIN, ENDPOINT, SCRATCH, S3, OTHER
    BIN = require("GWSYNC_BIN")
    ENDPOINT = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
        "GWSYNC_TEST_ENDPOINTS").split()[0]
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-settings-")
    S3 = boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1",
        aws_access_key_id=require("GWSYNC_TEST_ACCESS_KEY"),
        aws_secret_access_key=require("GWSYNC_TEST_SECRET_KEY"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))
    OTHER = boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1",
        aws_access_key_id=require("GWSYNC_TEST_OTHER_ACCESS_KEY"),
        aws_secret_access_key=require("GWSYNC_TEST_OTHER_SECRET_KEY"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))


def tearDownModule():
    shutil.rmtree(SCRATCH, ignore_errors=True)


def gwsync(*args, other_user=False):
    env = gwsync_env(SCRATCH)
    if other_user:
        env.update(AWS_ACCESS_KEY_ID=require("GWSYNC_TEST_OTHER_ACCESS_KEY"),
                   AWS_SECRET_ACCESS_KEY=require("GWSYNC_TEST_OTHER_SECRET_KEY"))
    return subprocess.run([BIN, "--endpoint", ENDPOINT, *args], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


def empty_and_remove(bucket, s3=None):
    """Every version and delete marker (locked ones too), then the bucket."""
    S3 = s3 or globals()["S3"]
    try:
        pages = S3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                S3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"],
                                 BypassGovernanceRetention=True)
        S3.delete_bucket(Bucket=bucket)
    except S3.exceptions.NoSuchBucket:
        pass


def read_settings(bucket, S3=None):
    """Each setting as boto3 reads it; absent ones left out."""
    S3 = S3 or globals()["S3"]
    calls = {
        "versioning": lambda: S3.get_bucket_versioning(Bucket=bucket),
        "object-lock": lambda: S3.get_object_lock_configuration(Bucket=bucket),
        "lifecycle": lambda: S3.get_bucket_lifecycle_configuration(Bucket=bucket),
        "cors": lambda: S3.get_bucket_cors(Bucket=bucket),
        "tagging": lambda: S3.get_bucket_tagging(Bucket=bucket),
        "policy": lambda: S3.get_bucket_policy(Bucket=bucket),
        "acl": lambda: S3.get_bucket_acl(Bucket=bucket),
    }
    out = {}
    for name, call in calls.items():
        try:
            r = call()
        except S3.exceptions.ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                continue
            raise
        r.pop("ResponseMetadata", None)
        if name == "policy":
            r = json.loads(r["Policy"])
        if r:
            out[name] = r
    return out


def policy_for(bucket):
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "reader", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam:::user/gwsync-other"]},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}


class BucketSettingsTest(unittest.TestCase):
    counter = 0

    def setUp(self):
        BucketSettingsTest.counter += 1
        self.prefix = f"gws-{os.getpid()}-{BucketSettingsTest.counter}"
        self.buckets = []
        self.dir = tempfile.mkdtemp(dir=SCRATCH)

    def tearDown(self):
        for b in self.buckets:
            empty_and_remove(b)

    def bucket(self, suffix):
        name = f"{self.prefix}-{suffix}"
        self.buckets.append(name)
        return name

    def settings_dir(self):
        return os.path.join(self.dir, ".gwsync", "bucket")

    def make_full_bucket(self):
        """A bucket with every setting RGW supports, and two objects put
        before the object-lock rule (so they are not locked)."""
        a = self.bucket("a")
        S3.create_bucket(Bucket=a, ObjectLockEnabledForBucket=True)  # turns versioning on
        S3.put_object(Bucket=a, Key="db/base.sql", Body=b"CREATE TABLE t (id int);\n")
        S3.put_object(Bucket=a, Key="readme", Body=b"hello\n")
        S3.put_object_lock_configuration(Bucket=a, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        S3.put_bucket_lifecycle_configuration(Bucket=a, LifecycleConfiguration={"Rules": [
            {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
             "Expiration": {"Days": 7}},
            {"ID": "old-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
        S3.put_bucket_cors(Bucket=a, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["https://example.com"],
             "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]})
        S3.put_bucket_tagging(Bucket=a, Tagging={"TagSet": [
            {"Key": "team", "Value": "db"}, {"Key": "backup", "Value": "nightly"}]})
        S3.put_bucket_policy(Bucket=a, Policy=json.dumps(policy_for(a)))
        S3.put_bucket_acl(Bucket=a, ACL="public-read")
        return a

    def test_round_trip_onto_a_new_bucket(self):
        a = self.make_full_bucket()
        want = read_settings(a)
        self.assertEqual(set(want), {"versioning", "object-lock", "lifecycle", "cors", "tagging",
                                     "policy", "acl"})

        r = gwsync("sync", f"s3://{a}", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.settings_dir())),
                         ["acl.xml", "cors.xml", "lifecycle.xml", "name", "object-lock.xml",
                          "policy.json", "tagging.xml", "versioning.xml"])
        with open(os.path.join(self.settings_dir(), "policy.json")) as f:
            self.assertEqual(json.load(f), policy_for(a))  # as returned: JSON
        with open(os.path.join(self.settings_dir(), "cors.xml")) as f:
            self.assertIn("<CORSConfiguration", f.read())  # as returned: XML

        b = self.bucket("b")
        r = gwsync("sync", self.dir, f"s3://{b}")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = read_settings(b)
        # The policy governs the restored bucket, not the original.
        self.assertEqual(got.pop("policy"), policy_for(b))
        want.pop("policy")
        self.assertEqual(got, want)
        # The objects came back; gwsync's own folder did not become objects.
        keys = [o["Key"] for o in S3.list_objects_v2(Bucket=b).get("Contents", [])]
        self.assertEqual(sorted(keys), ["db/base.sql", "readme"])

        # A re-sync of the backup changes nothing and keeps the settings.
        r = gwsync("sync", "--delete", f"s3://{a}", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(os.listdir(self.settings_dir())), 8)

    def test_restore_by_another_user_owns_the_bucket(self):
        a = self.make_full_bucket()
        self.assertEqual(gwsync("sync", f"s3://{a}", self.dir).returncode, 0)
        b = f"{self.prefix}-other"
        try:
            r = gwsync("sync", self.dir, f"s3://{b}", other_user=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            got, want = read_settings(b, OTHER), read_settings(a)
            self.assertEqual(got.pop("policy"), policy_for(b))
            want.pop("policy")
            # The restoring user owns the bucket; every other grant is as saved.
            owner = {"DisplayName": "gwsync-other", "ID": "gwsync-other"}
            self.assertEqual(got["acl"]["Owner"], owner)
            for grant in want["acl"]["Grants"]:
                if grant["Grantee"].get("ID") == "gwsync-test":
                    grant["Grantee"].update(owner)
            want["acl"]["Owner"] = owner
            self.assertEqual(got, want)
        finally:
            empty_and_remove(b, OTHER)

    def test_bucket_without_settings_saves_only_its_acl(self):
        a = self.bucket("plain")
        S3.create_bucket(Bucket=a)
        S3.put_object(Bucket=a, Key="k", Body=b"v")
        r = gwsync("sync", f"s3://{a}", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.settings_dir())), ["acl.xml", "name"])

        # A setting removed from the bucket goes from the next backup too.
        S3.put_bucket_tagging(Bucket=a, Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
        self.assertEqual(gwsync("sync", f"s3://{a}", self.dir).returncode, 0)
        self.assertIn("tagging.xml", os.listdir(self.settings_dir()))
        S3.delete_bucket_tagging(Bucket=a)
        self.assertEqual(gwsync("sync", f"s3://{a}", self.dir).returncode, 0)
        self.assertNotIn("tagging.xml", os.listdir(self.settings_dir()))

    def test_no_bucket_settings_skips_both_ways(self):
        a = self.make_full_bucket()
        r = gwsync("sync", "--no-bucket-settings", f"s3://{a}", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.settings_dir()))

        self.assertEqual(gwsync("sync", f"s3://{a}", self.dir).returncode, 0)
        c = self.bucket("c")
        r = gwsync("sync", "--no-bucket-settings", self.dir, f"s3://{c}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(set(read_settings(c)), {"acl"})  # a new bucket's own

    def test_refused_setting_is_named_and_the_rest_applied(self):
        a = self.make_full_bucket()
        self.assertEqual(gwsync("sync", f"s3://{a}", self.dir).returncode, 0)
        with open(os.path.join(self.settings_dir(), "lifecycle.xml"), "w") as f:
            f.write("<LifecycleConfiguration><Rule>broken")
        b = self.bucket("b")
        r = gwsync("sync", self.dir, f"s3://{b}")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("bucket setting 'lifecycle' not restored", r.stderr)
        self.assertEqual(r.stderr.count("not restored"), 1, r.stderr)
        got = read_settings(b)
        self.assertNotIn("lifecycle", got)
        self.assertEqual(set(got), {"versioning", "object-lock", "cors", "tagging", "policy",
                                    "acl"})
        keys = [o["Key"] for o in S3.list_objects_v2(Bucket=b).get("Contents", [])]
        self.assertEqual(sorted(keys), ["db/base.sql", "readme"])

    def test_every_bucket_backup_and_restore(self):
        a = self.make_full_bucket()
        root = os.path.join(self.dir, "all")
        r = gwsync("sync", "s3://", root)
        # Other tests' buckets may come and go meanwhile: only ours matter.
        self.assertTrue(os.path.exists(os.path.join(root, a, ".gwsync", "bucket", "policy.json")),
                        r.stderr)
        # Restore every bucket of a backup holding just ours, renamed, beside
        # a top-level .gwsync folder that is no bucket.
        for name in os.listdir(root):
            if name != a:
                shutil.rmtree(os.path.join(root, name))
        b = self.bucket("b")
        os.rename(os.path.join(root, a), os.path.join(root, b))
        os.makedirs(os.path.join(root, ".gwsync"))
        r = gwsync("sync", root, "s3://")
        self.assertEqual(r.returncode, 0, r.stderr)
        got, want = read_settings(b), read_settings(a)
        self.assertEqual(got.pop("policy"), policy_for(b))
        want.pop("policy")
        self.assertEqual(got, want)

if __name__ == "__main__":
    unittest.main(verbosity=2)
