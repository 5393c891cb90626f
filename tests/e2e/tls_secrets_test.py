#!/usr/bin/env python3
"""TLS and secrets as operators need them, against the real RGW behind a real
nginx (Debian's) that terminates TLS with a private CA made here with
openssl: --ca-bundle and AWS_CA_BUNDLE trust it, an untrusted certificate
says how to fix it, --insecure warns, `use_https = True` in the s3cmd config
holds for every gateway given without a scheme, and the secret key can come
from a file (--secret-key-file) so it never shows in `ps`.

Reads GWSYNC_BIN and GWSYNC_TEST_ENDPOINT/ACCESS_KEY/SECRET_KEY from the
environment (tools/test.sh sets them); fails, never skips, without them.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import clean_env, data_of, gwsync_env, require  # noqa: E402
from nginx import Nginx  # noqa: E402


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca_and_cert(d):
    """A private CA and a certificate for 127.0.0.1 signed by it."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=gwsync test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            "server.key", "-out", "server.csr", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=d)


def setUpModule():
    global BIN, ENDPOINT, TMP, NGINX, CA, BUCKET
    BIN = require("GWSYNC_BIN")
    ENDPOINT = require("GWSYNC_TEST_ENDPOINT")
    TMP = tempfile.mkdtemp(prefix="gwsync-tls-")
    ca = os.path.join(TMP, "ca")
    os.makedirs(ca)
    make_ca_and_cert(ca)
    CA = os.path.join(ca, "ca.pem")
    # Two ports: the gateways of one cluster, each given without a scheme.
    NGINX = Nginx(TMP, ENDPOINT, ports=2,
                  tls=(os.path.join(ca, "server.pem"), os.path.join(ca, "server.key")))
    BUCKET = f"gwsync-tls-{os.getpid()}"
    r = run(["--endpoint", ENDPOINT, "mb", f"s3://{BUCKET}"])
    assert r.returncode == 0, r.stderr


def tearDownModule():
    run(["--endpoint", ENDPOINT, "rb", "--force", f"s3://{BUCKET}"])
    NGINX.stop()
    shutil.rmtree(TMP, ignore_errors=True)


def run(args, env=None, home=None):
    return subprocess.run([BIN, *args], env=env or gwsync_env(home or TMP), capture_output=True,
                          text=True, timeout=120)


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=TMP)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def round_trip(self, extra, env=None):
        data = data_of(100_000, 7)
        src = self.write("src", data)
        key = f"s3://{BUCKET}/{os.path.basename(self.tmp)}"
        r = run([*extra, "put", src, key], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.tmp, "back")
        r = run([*extra, "get", key, out], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == data, "content differs")
        return r

    def test_ca_bundle_trusts_a_private_ca(self):
        r = self.round_trip(["--endpoint", NGINX.urls[0], "--ca-bundle", CA])
        self.assertEqual(r.stderr, "")

    def test_aws_ca_bundle_trusts_a_private_ca(self):
        env = gwsync_env(self.tmp)
        env["AWS_CA_BUNDLE"] = CA
        self.round_trip(["--endpoint", NGINX.urls[0]], env)

    def test_an_untrusted_certificate_says_how_to_fix_it(self):
        r = run(["--endpoint", NGINX.urls[0], "ls", f"s3://{BUCKET}"])
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("certificate", lines[0])
        self.assertIn("--ca-bundle", lines[0])

    def test_a_missing_ca_bundle_is_a_clear_error(self):
        r = run(["--endpoint", NGINX.urls[0], "--ca-bundle", "/nonexistent/ca.pem", "ls"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot read the CA bundle '/nonexistent/ca.pem'", r.stderr)

    def test_insecure_works_and_warns_in_one_line(self):
        r = run(["--endpoint", NGINX.urls[0], "--insecure", "ls", f"s3://{BUCKET}"])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("warning: --insecure", lines[0])

    # Today's bug: the second scheme-less --endpoint went out as plain http.
    def test_use_https_holds_for_every_endpoint(self):
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        with open(os.path.join(home, ".s3cfg"), "w") as f:
            f.write("[default]\nuse_https = True\n")
        for i in range(24):
            self.write(f"tree/f{i:02d}", data_of(2000, i))
        hosts = [u.removeprefix("https://") for u in NGINX.urls]
        r = run(["--endpoint", hosts[0], "--endpoint", hosts[1], "--ca-bundle", CA,
                 "--concurrency", "8", "sync", "--no-index", "--quiet",
                 os.path.join(self.tmp, "tree"), f"s3://{BUCKET}/https-tree"], home=home)
        seen = NGINX.requests_by_port()
        self.assertEqual(r.returncode, 0, f"{r.stderr}\nnginx: {seen}")
        for port in NGINX.ports:
            self.assertIn(port, seen, f"no request reached {port}: {seen}")
            self.assertNotIn(400, seen[port], f"plain http sent to {port}: {seen}")


class SecretsTest(unittest.TestCase):
    def test_secret_key_from_a_file(self):
        tmp = tempfile.mkdtemp(dir=TMP)
        path = os.path.join(tmp, "secret")
        with open(path, "w") as f:
            f.write(require("GWSYNC_TEST_SECRET_KEY") + "\n")
        os.chmod(path, 0o600)
        env = clean_env(tmp)
        r = run(["--endpoint", ENDPOINT, "--access-key", require("GWSYNC_TEST_ACCESS_KEY"),
                 "--secret-key-file", path, "ls", f"s3://{BUCKET}"], env)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_an_unreadable_secret_key_file_is_a_clear_error(self):
        env = clean_env(TMP)
        r = run(["--endpoint", ENDPOINT, "--access-key", "a", "--secret-key-file",
                 "/nonexistent/secret", "ls"], env)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--secret-key-file '/nonexistent/secret'", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
