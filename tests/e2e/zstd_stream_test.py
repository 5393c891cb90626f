#!/usr/bin/env python3
"""zstd on the fly through put/get, against the real RGW: a 300 MiB SQL-like
stream piped into `gwsync put --zstd -` comes back byte-exact from
`gwsync get ... -` and to a file, while the uploader's peak RSS (wait4 of the
child) stays well under the stream's size; the object is marked as
compressed (boto3 reads its metadata), `--raw` gives the stored zstd bytes,
and an object gwsync did not compress comes back unchanged.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment (tools/test.sh sets
them) and fails, never skips, when they are missing.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402

MiB = 1 << 20
STREAM = 300 * MiB
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GEN = os.path.join(HERE, "..", "support", "gen_sqldump.py")


def setUpModule():
    global BIN, ENDPOINT, SCRATCH, S3
    BIN = require("GWSYNC_BIN")
    ENDPOINT = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
        "GWSYNC_TEST_ENDPOINTS").split()[0]
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-zstd-")
    S3 = boto3.client(
        "s3", endpoint_url=ENDPOINT, region_name="us-east-1",
        aws_access_key_id=require("GWSYNC_TEST_ACCESS_KEY"),
        aws_secret_access_key=require("GWSYNC_TEST_SECRET_KEY"),
        config=Config(s3={"addressing_style": "path"}))


def tearDownModule():
    shutil.rmtree(SCRATCH, ignore_errors=True)


def spawn(args, stdin, stdout):
    return subprocess.Popen([BIN, "--endpoint", ENDPOINT, *args], env=gwsync_env(SCRATCH),
                            stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)


def reap(proc, timeout=300):
    """Waits for `proc` with wait4: (exit code, peak RSS in bytes, stderr)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{proc.args} still running after {timeout} s")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    for pipe in (proc.stdout, proc.stderr):  # stdin is its feeder's
        if pipe:
            pipe.close()
    return proc.returncode, usage.ru_maxrss * 1024, err


def sha256_of_stream(f, chunk=1 << 20):
    h, n = hashlib.sha256(), 0
    while True:
        b = f.read(chunk)
        if not b:
            return h.hexdigest(), n
        h.update(b)
        n += len(b)


class ZstdStreamTest(unittest.TestCase):
    def setUp(self):
        self.bucket = f"gwz-{os.getpid()}-{self.id().rsplit('.', 1)[-1].replace('_', '-')}"[:63]
        S3.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        for o in S3.list_objects_v2(Bucket=self.bucket).get("Contents", []):
            S3.delete_object(Bucket=self.bucket, Key=o["Key"])
        S3.delete_bucket(Bucket=self.bucket)

    def put_stream(self, key, size):
        """Pipes `size` bytes of the generated dump into put --zstd -;
        returns (sha256 of the input, peak RSS of gwsync)."""
        gen = subprocess.Popen([sys.executable, GEN, "--size", str(size)], stdout=subprocess.PIPE)
        put = spawn(["put", "--zstd", "-", f"s3://{self.bucket}/{key}"], subprocess.PIPE,
                    subprocess.DEVNULL)
        digest = {}

        def feed():  # tee: hash what gwsync is given
            h = hashlib.sha256()
            while True:
                b = gen.stdout.read(1 << 20)
                if not b:
                    break
                h.update(b)
                put.stdin.write(b)
            put.stdin.close()
            digest["in"] = h.hexdigest()

        t = threading.Thread(target=feed)
        t.start()
        code, rss, err = reap(put)
        t.join()
        self.assertEqual(gen.wait(), 0)
        gen.stdout.close()
        self.assertEqual(code, 0, err)
        return digest["in"], rss

    def get(self, key, *flags):
        get = spawn(["get", *flags, f"s3://{self.bucket}/{key}", "-"], subprocess.DEVNULL,
                    subprocess.PIPE)
        digest, n = sha256_of_stream(get.stdout)
        code, _, err = reap(get)
        self.assertEqual(code, 0, err)
        return digest, n

    def test_stream_round_trip_bounded_memory(self):
        want, rss = self.put_stream("all.sql.zst", STREAM)
        self.assertLess(rss, STREAM // 3, f"peak RSS {rss / MiB:.1f} MiB for a 300 MiB stream")
        print(f"\nput --zstd - of {STREAM // MiB} MiB: peak RSS {rss / MiB:.1f} MiB",
              file=sys.stderr)

        head = S3.head_object(Bucket=self.bucket, Key="all.sql.zst")
        self.assertEqual(head["Metadata"].get("gwsync-compression"), "zstd")
        stored = head["ContentLength"]
        self.assertLess(stored, STREAM // 2)  # text compresses

        got, n = self.get("all.sql.zst")
        self.assertEqual(n, STREAM)
        self.assertEqual(got, want)

        # --raw: exactly the stored bytes, a zstd frame.
        raw, n = self.get("all.sql.zst", "--raw")
        self.assertEqual(n, stored)
        body = S3.get_object(Bucket=self.bucket, Key="all.sql.zst")["Body"]
        self.assertEqual(body.read(4), ZSTD_MAGIC)
        body.close()
        body = S3.get_object(Bucket=self.bucket, Key="all.sql.zst")["Body"]
        self.assertEqual(sha256_of_stream(body), (raw, stored))

        # To a file, decompressed, then zstd itself agrees with --raw.
        path = os.path.join(SCRATCH, "all.sql")
        get = spawn(["get", f"s3://{self.bucket}/all.sql.zst", path], subprocess.DEVNULL,
                    subprocess.DEVNULL)
        code, _, err = reap(get)
        self.assertEqual(code, 0, err)
        with open(path, "rb") as f:
            self.assertEqual(sha256_of_stream(f), (want, STREAM))
        os.remove(path)

    def test_small_stream_records_uncompressed_size(self):
        want, _ = self.put_stream("small.sql.zst", 3 * MiB)  # fits one request
        head = S3.head_object(Bucket=self.bucket, Key="small.sql.zst")
        self.assertEqual(head["Metadata"].get("gwsync-uncompressed-size"), str(3 * MiB))
        self.assertEqual(self.get("small.sql.zst"), (want, 3 * MiB))

    def test_file_with_zstd_and_raw_tools_agree(self):
        path = os.path.join(SCRATCH, "dump.sql")
        subprocess.run([sys.executable, GEN, "--size", str(20 * MiB), "--output", path],
                       check=True)
        put = spawn(["put", "--zstd", path, f"s3://{self.bucket}/dump.sql.zst"],
                    subprocess.DEVNULL, subprocess.DEVNULL)
        code, _, err = reap(put)
        self.assertEqual(code, 0, err)
        head = S3.head_object(Bucket=self.bucket, Key="dump.sql.zst")
        self.assertEqual(head["Metadata"].get("gwsync-uncompressed-size"), str(20 * MiB))
        # The raw object is an ordinary zstd file.
        raw = os.path.join(SCRATCH, "dump.sql.zst")
        get = spawn(["get", "--raw", f"s3://{self.bucket}/dump.sql.zst", raw],
                    subprocess.DEVNULL, subprocess.DEVNULL)
        self.assertEqual(reap(get)[0], 0)
        unz = subprocess.run(["zstd", "-d", "-c", raw], capture_output=True, check=True)
        with open(path, "rb") as f:
            self.assertEqual(unz.stdout, f.read())
        os.remove(raw)
        os.remove(path)

    def test_uncompressed_object_comes_back_unchanged(self):
        # Starts like a zstd frame, but gwsync did not compress it: as is.
        data = ZSTD_MAGIC + os.urandom(1000)
        S3.put_object(Bucket=self.bucket, Key="plain.zst", Body=data)
        self.assertEqual(self.get("plain.zst"), (hashlib.sha256(data).hexdigest(), len(data)))
        self.assertEqual(self.get("plain.zst", "--raw"),
                         (hashlib.sha256(data).hexdigest(), len(data)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
