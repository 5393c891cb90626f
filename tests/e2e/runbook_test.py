#!/usr/bin/env python3
"""The runbook operators follow today with s3cmd (Deis' "Backing Up and
Restoring Data": ~/.s3cfg, s3cmd mb, s3cmd sync FOLDER s3://BUCKET, s3cmd
sync s3://BUCKET .), run once with s3cmd and once with the gwsync commands
docs/guide/from-s3cmd.md gives, against the real RGW: both end with
the same keys in the buckets and the same files restored. Also: s3cmd
restores a gwsync backup with its times and modes, and gwsync says on a
terminal when it drops a source folder's name that s3cmd would keep.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment; fails, never skips.
"""

import os
import pty
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import clean_env, data_of, read_tree, require  # noqa: E402

TIMEOUT = 120


def write_tree(root, files, mtime=1577923200):
    for rel, (data, mode) in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        os.utime(path, (mtime, mtime))
        mtime += 3600


# What a database server and a registry leave for the runbook to back up.
BASEBACKUPS = {"base_000000010000000000000002_00000040/tar_partitions/part_1.tar.lzo":
               (data_of(300000, 1), 0o600),
               "base_000000010000000000000002_00000040_backup_stop_sentinel.json":
               (b'{"wal_segment": "000000010000000000000002"}', 0o644)}
WAL = {"wal_005/000000010000000000000001.lzo": (data_of(70000, 2), 0o600),
       "wal_005/000000010000000000000002.lzo": (data_of(50000, 3), 0o640)}
REGISTRY = {"docker/registry/v2/blobs/sha256/ab/abcd/data": (data_of(200000, 4), 0o644),
            "docker/registry/v2/repositories/app/_layers/sha256/abcd/link": (b"sha256:abcd", 0o644)}


class RunbookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = require("GWSYNC_BIN")
        endpoint = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
            "GWSYNC_TEST_ENDPOINTS").split()[0]
        host = endpoint.split("://", 1)[1].rstrip("/")
        cls.home = tempfile.mkdtemp(prefix="gwsync-runbook-")
        # The runbook's ~/.s3cfg: s3cmd and gwsync both read it as it is.
        with open(os.path.join(cls.home, ".s3cfg"), "w") as f:
            f.write(f"[default]\naccess_key = {require('GWSYNC_TEST_ACCESS_KEY')}\n"
                    f"secret_key = {require('GWSYNC_TEST_SECRET_KEY')}\n"
                    f"host_base = {host}\nhost_bucket = {host}\n"
                    "use_https = False\nsignature_v2 = False\n")
        cls.env = clean_env(cls.home)
        cls.buckets = []

    @classmethod
    def tearDownClass(cls):
        for b in cls.buckets:
            subprocess.run([cls.bin, "rb", "--force", f"s3://{b}"], env=cls.env,
                           capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(cls.home, ignore_errors=True)

    def run_in(self, cwd, argv, check=True):
        r = subprocess.run(argv, cwd=cwd, env=self.env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        if check:
            self.assertEqual(r.returncode, 0, f"{argv}: {r.stdout}\n{r.stderr}")
        return r

    def s3cmd(self, cwd, *args):
        return self.run_in(cwd, ["s3cmd", "--no-progress", *args])

    def gwsync(self, cwd, *args):
        r = self.run_in(cwd, [self.bin, *args])
        self.assertEqual(r.stderr, "", f"gwsync {args}: nothing on stderr off a terminal")
        return r

    def listing(self, bucket):
        """key -> size, from gwsync ls -r."""
        out = self.gwsync(self.home, "ls", "-r", f"s3://{bucket}").stdout
        keys = {}
        for line in out.splitlines():
            parts = line.split()
            url = [p for p in parts if p.startswith("s3://")]
            if url:
                keys[url[0].split("/", 3)[3]] = int(parts[-2])
        return keys

    def fresh(self, name):
        b = f"{name}-{os.getpid()}-{len(self.buckets)}"
        self.buckets.append(b)
        return b

    def workdir(self):
        d = tempfile.mkdtemp(dir=self.home)
        write_tree(os.path.join(d, "basebackups_005"), BASEBACKUPS)
        write_tree(d, WAL)
        write_tree(os.path.join(d, "registry"), REGISTRY)
        return d

    def test_runbook_both_ways_same_layout(self):
        results = {}
        for tool in ("s3cmd", "gwsync"):
            work = self.workdir()
            # The guide's db-wal (Deis' db_wal: the test gateway keeps S3's strict
            # bucket names, rgw_relaxed_s3_bucket_names off), made unique.
            db, reg = self.fresh(f"db-wal-{tool}"), self.fresh(f"registry-{tool}")
            restore = os.path.join(work, "restore")
            os.makedirs(restore)
            if tool == "s3cmd":
                self.s3cmd(work, "mb", f"s3://{db}")
                self.s3cmd(work, "mb", f"s3://{reg}")
                self.s3cmd(work, "sync", "basebackups_005", f"s3://{db}")
                self.s3cmd(work, "sync", "wal_005", f"s3://{db}")
                self.s3cmd(work, "sync", "registry", f"s3://{reg}")
                self.s3cmd(restore, "sync", f"s3://{db}", ".")
            else:  # docs/guide/from-s3cmd.md, command for command
                self.gwsync(work, "mb", f"s3://{db}")
                self.gwsync(work, "mb", f"s3://{reg}")
                self.gwsync(work, "sync", "basebackups_005", f"s3://{db}/basebackups_005")
                self.gwsync(work, "sync", "wal_005", f"s3://{db}/wal_005")
                self.gwsync(work, "sync", "registry", f"s3://{reg}/registry")
                self.gwsync(restore, "sync", f"s3://{db}", ".")
            results[tool] = (self.listing(db), self.listing(reg), read_tree(restore))
        s3cmd_db, s3cmd_reg, s3cmd_restore = results["s3cmd"]
        gw_db, gw_reg, gw_restore = results["gwsync"]
        self.assertEqual(gw_db, s3cmd_db)
        self.assertEqual(gw_reg, s3cmd_reg)
        self.assertIn("basebackups_005/" + next(iter(BASEBACKUPS)), gw_db)
        self.assertIn("registry/" + next(iter(REGISTRY)), gw_reg)
        self.assertEqual(gw_restore, s3cmd_restore)
        self.assertEqual(len(gw_restore), len(BASEBACKUPS) + len(WAL))

    def test_s3cmd_restores_gwsync_backup_with_times_and_modes(self):
        work = self.workdir()
        bucket = self.fresh("gw-to-s3cmd")
        self.gwsync(work, "sync", "basebackups_005", f"s3://{bucket}/base")
        restore = os.path.join(work, "by-s3cmd")
        self.s3cmd(work, "sync", "--preserve", f"s3://{bucket}/base/", restore + "/")
        src = os.path.join(work, "basebackups_005")
        for rel in BASEBACKUPS:
            a, b = os.stat(os.path.join(src, rel)), os.stat(os.path.join(restore, rel))
            self.assertEqual(int(b.st_mtime), int(a.st_mtime), rel)
            self.assertEqual(b.st_mode & 0o7777, a.st_mode & 0o7777, rel)

    def on_terminal(self, cwd, argv):
        """Runs with stderr on a pseudo-terminal; returns (exit code, stderr text)."""
        master, slave = pty.openpty()
        p = subprocess.Popen(argv, cwd=cwd, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the other end closed
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        return p.wait(timeout=TIMEOUT), b"".join(chunks).decode(errors="replace")

    def test_dropped_folder_name_is_hinted_on_a_terminal(self):
        work = self.workdir()
        bucket = self.fresh("hint")
        code, err = self.on_terminal(work, [self.bin, "sync", "--dry-run", "wal_005",
                                            f"s3://{bucket}"])
        self.assertEqual(code, 0, err)
        self.assertIn("hint: the contents of 'wal_005' go to", err)
        self.assertIn(f"s3://{bucket}/wal_005/", err)
        # A trailing slash says "the contents" (rsync's rule): no hint.
        code, err = self.on_terminal(work, [self.bin, "sync", "--dry-run", "wal_005/",
                                            f"s3://{bucket}"])
        self.assertEqual(code, 0, err)
        self.assertNotIn("hint:", err)
        # The guide's translation names the folder: no hint.
        code, err = self.on_terminal(work, [self.bin, "sync", "--dry-run", "wal_005",
                                            f"s3://{bucket}/wal_005"])
        self.assertEqual(code, 0, err)
        self.assertNotIn("hint:", err)
        # And the other way: a prefix named without its slash.
        self.gwsync(work, "sync", "wal_005", f"s3://{bucket}/wal_005")
        code, err = self.on_terminal(work, [self.bin, "sync", "--dry-run",
                                            f"s3://{bucket}/wal_005", "out"])
        self.assertEqual(code, 0, err)
        self.assertIn("hint: the keys under", err)
        self.assertIn("'out/wal_005'", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
