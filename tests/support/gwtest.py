"""What the Python tests that run the gwsync binary share: the environment
tools/test.sh provides, a clean one for gwsync, free ports for servers they
start, and the Debian package of the build.

Import it after `sys.path.insert(0, <tests/support>)`.
"""

import glob
import os
import random
import socket
import subprocess


def require(name):
    """An environment variable tools/test.sh sets; a missing one fails the
    test run, never skips it."""
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(
            f"{name} is not set: run through tools/test.sh, or source the gateway's env file "
            "(. /tmp/gwsync-rgw/env) and set GWSYNC_BIN to the gwsync binary")
    return value


def clean_env(home):
    """This environment with a scratch HOME (no ~/.s3cfg, no remotes, a
    private default index) and no AWS_* or proxy variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.lower().endswith("_proxy")}
    env["HOME"] = home
    return env


def gwsync_env(home):
    """An environment for gwsync against the test gateway: clean_env with the
    test user's keys."""
    env = clean_env(home)
    env.update(AWS_ACCESS_KEY_ID=require("GWSYNC_TEST_ACCESS_KEY"),
               AWS_SECRET_ACCESS_KEY=require("GWSYNC_TEST_SECRET_KEY"))
    return env


def free_port():
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def data_of(size, seed):
    """Deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(size)


def read_tree(root):
    """Every file under root, {relative path: bytes}, but gwsync's own
    .gwsync/ at the root (manifests, bucket settings)."""
    out = {}
    for base, dirs, names in os.walk(root):
        if base == root:
            dirs[:] = [d for d in dirs if d != ".gwsync"]
        for n in names:
            path = os.path.join(base, n)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def build_deb(build_dir, out_dir):
    """The Debian package of a built tree, made as tools/package.sh makes it
    (cpack -G DEB), into out_dir; returns its path."""
    r = subprocess.run(["cpack", "-G", "DEB", "-B", out_dir], cwd=build_dir,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"cpack failed:\n{r.stdout}{r.stderr}")
    [deb] = glob.glob(os.path.join(out_dir, "gwsync_*.deb"))
    return deb


class GatewayCase:
    """A mixin for unittest.TestCase classes against the test gateway: a
    scratch folder (self.work) and environment (self.env), a boto3 client
    (self.s3) as an independent judge, buckets made by self.bucket() and
    removed after the test, and gwsync run with the gateway's endpoint."""

    TIMEOUT = 120

    def setUp(self):
        import shutil
        import tempfile
        import time

        import boto3
        from botocore.config import Config

        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.work = tempfile.mkdtemp(prefix="gwsync-test-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.env = gwsync_env(self.work)
        self.s3 = boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}))
        self.stamp = f"{os.getpid()}-{int(time.time() * 1000) % 100000}"

    def gwsync(self, *args, env=None):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, *args],
                              env=env or self.env, capture_output=True, text=True,
                              timeout=self.TIMEOUT)

    def ok(self, *args):
        r = self.gwsync(*args)
        self.assertEqual(r.returncode, 0, f"gwsync {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return r

    def bucket(self, name, objects=None):
        """A new bucket `name`-STAMP holding `objects` ({key: bytes}),
        removed after the test; its full name."""
        full = f"{name}-{self.stamp}"
        self.s3.create_bucket(Bucket=full)
        self.addCleanup(self.gwsync, "rb", "--force", f"s3://{full}")
        for key, body in (objects or {}).items():
            self.s3.put_object(Bucket=full, Key=key, Body=body)
        return full
