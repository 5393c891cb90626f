"""examples/backup.cc, which uses gwsync as a library through the public
headers only (gwsync/gateway.h, gwsync/sync.h), run as a user would run it
against the test gateway: the bytes in the folder and in the bucket, what it
prints, and its exit codes."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import gwtest  # noqa: E402


class ExampleTest(gwtest.GatewayCase, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.example = gwtest.require("GWSYNC_EXAMPLE_BACKUP")

    def run_example(self, *args, env=None):
        if env is None:
            env = dict(self.env, AWS_ENDPOINT_URL=self.endpoint)
        return subprocess.run([self.example, *args], env=env, capture_output=True, text=True,
                              timeout=self.TIMEOUT)

    def test_backup_and_restore(self):
        objects = {"a": b"1" * 10, "docker/registry/v2/blob": gwtest.data_of(300000, 1),
                   "wal_005/000000010000000000000001": gwtest.data_of(5000, 2)}
        b = self.bucket("example", objects)
        backup = os.path.join(self.work, "backup")
        r = self.run_example(f"s3://{b}", backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(gwtest.read_tree(backup), objects)
        self.assertRegex(r.stdout, r"download\s+3 objects\s+305010 bytes")
        self.assertRegex(r.stdout, r"manifest: .*/\.gwsync/manifest-")
        self.assertIn("0 errors", r.stdout)
        self.assertIn("verify: OK (3 of 3 objects match, 3 files read)", r.stdout)

        # Again: the index knows the files, nothing is fetched.
        r = self.run_example(f"s3://{b}", backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"skip: unchanged\s+3 objects")
        self.assertNotIn("download", r.stdout)

        # A file changed behind the index's back (same size, same time):
        # the sync trusts the index, the proof reads the file.
        path = os.path.join(backup, "a")
        st = os.stat(path)
        with open(path, "r+b") as f:
            f.write(b"2")
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        r = self.run_example(f"s3://{b}", backup)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stdout, r"skip: unchanged\s+3 objects")
        self.assertIn("different a content differs", r.stdout)
        self.assertIn("verify: DIFFERENT (2 of 3 objects match", r.stdout)
        with open(path, "r+b") as f:
            f.write(b"1")
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

        # The folder back into a new bucket, byte for byte.
        restored = self.bucket("restored")
        r = self.run_example(backup + "/", f"s3://{restored}")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=restored):
            for o in page.get("Contents", []):
                got[o["Key"]] = self.s3.get_object(Bucket=restored, Key=o["Key"])["Body"].read()
        self.assertEqual(got, objects)
        self.assertIn("verify: OK (3 of 3 objects match, 3 files read)", r.stdout)

        # --delete: what the source no longer holds goes.
        self.s3.delete_object(Bucket=b, Key="a")
        r = self.run_example(f"s3://{b}", backup, "--delete")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"delete\s+1 objects")
        self.assertNotIn("a", gwtest.read_tree(backup))

    def test_errors(self):
        # No keys anywhere: the engine says what is missing, as gwsync does.
        env = gwtest.clean_env(self.work)
        env["AWS_ENDPOINT_URL"] = self.endpoint
        r = self.run_example("s3://nothing", os.path.join(self.work, "dir"), env=env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"^backup: no credentials: ")
        # A bucket that does not exist: nothing is written.
        r = self.run_example(f"s3://missing-{self.stamp}", os.path.join(self.work, "dir"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("backup: ", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "dir")))
        # Usage.
        r = self.run_example("only-one")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage:", r.stderr)


if __name__ == "__main__":
    unittest.main()
