#!/usr/bin/env python3
"""The nightly units run as written. gwsync-nightly@db-wal.service's
ExecStart= line, with the example environment file
(deploy/examples/gwsync-nightly.env) as its EnvironmentFile=, runs once
against the test gateway: under systemd-run where systemd is the init,
otherwise directly, the way systemd would (tests/support/systemd_unit.py:
`env -i` with only the file's variables and what systemd adds, cwd /). The
cron line's command runs the same way under /bin/sh with cron's
environment. Both leave a Prometheus file with
the run's figures and a log.

Only install paths are changed (/usr/bin/gwsync, /etc/gwsync, /var/...,
/srv/backup, /run) to a scratch folder, and the example's bucket to the
test's. Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment; fails,
never skips.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from gwtest import data_of, gwsync_env, require  # noqa: E402
from nightly_test import parse_exposition, value  # noqa: E402
from systemd_unit import Service, option  # noqa: E402

TIMEOUT = 120
ROOT = os.path.join(HERE, "..", "..")
UNIT = os.path.join(ROOT, "deploy", "systemd", "gwsync-nightly@.service")
CRON = os.path.join(ROOT, "deploy", "systemd", "gwsync.cron")
EXAMPLE_ENV = os.path.join(ROOT, "deploy", "examples", "gwsync-nightly.env")
INSTANCE = "db-wal"

class NightlyUnitTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = os.environ.get("GWSYNC_TEST_ENDPOINT") or require(
            "GWSYNC_TEST_ENDPOINTS").split()[0]
        self.access_key = require("GWSYNC_TEST_ACCESS_KEY")
        self.secret_key = require("GWSYNC_TEST_SECRET_KEY")
        self.root = tempfile.mkdtemp(prefix="gwsync-nightly-unit-")
        self.bucket = f"nightly-unit-{os.getpid()}"
        # Where the test puts what the package would install or systemd make.
        self.paths = {"/usr/bin/gwsync": self.bin}
        for prefix in ("/etc/gwsync", "/var/cache/gwsync", "/var/log/gwsync",
                       "/var/lib/prometheus/node-exporter", "/srv/backup", "/run"):
            self.paths[prefix] = self.root + prefix
        self.env = gwsync_env(os.path.join(self.root, "home"))
        # What the job backs up: three objects in the test's bucket.
        self.src = os.path.join(self.root, "data")
        self.sizes = {"a": 1000, "b": 20000, "sub/c": 0}
        for name, size in self.sizes.items():
            os.makedirs(os.path.dirname(os.path.join(self.src, name)), exist_ok=True)
            with open(os.path.join(self.src, name), "wb") as f:
                f.write(data_of(size, len(name)))
        r = subprocess.run([self.bin, "--endpoint", self.endpoint, "--quiet", "sync", "--no-index",
                            self.src, f"s3://{self.bucket}"], env=self.env, capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        subprocess.run([self.bin, "--endpoint", self.endpoint, "rb", "--force",
                        f"s3://{self.bucket}"], env=self.env, capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(self.root, ignore_errors=True)

    def installed(self, text):
        """TEXT with the install paths moved into the scratch folder and the
        example's bucket replaced by the test's."""
        for prefix, there in self.paths.items():
            text = re.sub(re.escape(prefix) + r"(?=/|\b|$)", there, text)
        text = text.replace("prod:db-wal", f"prod:{self.bucket}")
        return text.replace("s3://db-wal", f"s3://{self.bucket}")

    def check_run(self, r, metrics, log, dst, before):
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "", "--quiet prints nothing on success")
        with open(metrics) as f:
            s = parse_exposition(f.read())
        self.assertEqual(value(s, "gwsync_sync_success"), 1)
        self.assertEqual(value(s, "gwsync_sync_exit_code"), 0)
        self.assertEqual(value(s, "gwsync_sync_errors"), 0)
        self.assertEqual(value(s, "gwsync_sync_objects", action="download"), len(self.sizes))
        self.assertEqual(value(s, "gwsync_sync_bytes", action="download"), sum(self.sizes.values()))
        success = value(s, "gwsync_sync_last_success_timestamp_seconds")
        self.assertTrue(before - 1 <= success <= time.time() + 1, success)
        with open(log) as f:
            lines = f.read().splitlines()
        self.assertTrue(any(l.endswith(": started") for l in lines), lines)
        self.assertTrue(any(re.search(r" download +3 objects", l) for l in lines), lines)
        self.assertTrue(lines[-1].endswith("finished, exit code 0"), lines)
        for name in self.sizes:
            with open(os.path.join(self.src, name), "rb") as a, \
                    open(os.path.join(dst, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def test_service(self):
        service = Service(UNIT, INSTANCE, self.installed)
        unit = service.service
        self.assertEqual(unit.get("Type"), ["oneshot"])
        self.assertNotIn("User", unit)  # root: systemd sets no HOME, nor does the test
        self.assertNotIn("WorkingDirectory", unit)  # systemd's default: /
        # The folders ExecStart= writes to are the ones systemd makes
        # (CacheDirectory=, LogsDirectory=), or the run would fail.
        self.assertIn(f"/var/cache/{unit['CacheDirectory'][0]}/", service.exec_start)
        self.assertIn(f"/var/log/{unit['LogsDirectory'][0]}/", service.exec_start)
        cache_dir = service.folders["CACHE_DIRECTORY"]

        # /etc/gwsync/db-wal.env from the example: install paths, keys, the
        # remote's bucket; GWSYNC_OPTS as shipped. The remotes file: prod is
        # the test gateway.
        with open(EXAMPLE_ENV) as f:
            example = f.read()
        example = example.replace("AWS_ACCESS_KEY_ID=CHANGEME", f"AWS_ACCESS_KEY_ID={self.access_key}")
        example = example.replace("AWS_SECRET_ACCESS_KEY=CHANGEME",
                                  f"AWS_SECRET_ACCESS_KEY={self.secret_key}")
        os.makedirs(os.path.dirname(service.env_file))
        with open(service.env_file, "w") as f:
            f.write(self.installed(example))
        os.chmod(service.env_file, 0o600)
        env = service.environment()
        with open(env["GWSYNC_REMOTES"], "w") as f:
            f.write(f"[prod]\nendpoint = {self.endpoint}\naccess_key = {self.access_key}\n"
                    f"secret_key = {self.secret_key}\n")
        self.assertTrue(env["GWSYNC_OPTS"].split(), "the example passes flags in GWSYNC_OPTS")
        os.makedirs(os.path.dirname(env["GWSYNC_METRICS_FILE"]))

        before = time.time()
        if os.path.isdir("/run/systemd/system"):
            # systemd reads the file and expands the variables itself.
            service.make_folders()
            r = subprocess.run(["systemd-run", "--wait", "--collect", "--quiet", "--pipe",
                                f"--property=EnvironmentFile={service.env_file}",
                                f"--property=Nice={service.nice}", "--"] + service.words,
                               capture_output=True, text=True, timeout=TIMEOUT)
        else:
            r = service.run(TIMEOUT)
        argv = service.argv()
        self.check_run(r, option(argv, "--metrics-file"), option(argv, "--log-file"),
                       env["GWSYNC_DST"], before)
        self.assertTrue(os.listdir(cache_dir), "the index is under CacheDirectory=")

    def test_cron_line(self):
        with open(CRON) as f:
            [line] = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
        fields = line.split(None, 6)
        self.assertEqual(fields[5], "root", "an /etc/cron.d line names its user")
        command = self.installed(fields[6])
        # /etc/gwsync/s3cfg from the example, for the test gateway.
        host = re.sub(r"^https?://", "", self.endpoint)
        with open(os.path.join(ROOT, "deploy", "examples", "s3cfg")) as f:
            s3cfg = f.read()
        s3cfg = s3cfg.replace("rgw1.example:7480", host)
        s3cfg = s3cfg.replace("access_key = CHANGEME", f"access_key = {self.access_key}")
        s3cfg = s3cfg.replace("secret_key = CHANGEME", f"secret_key = {self.secret_key}")
        for d in ("/etc/gwsync", "/var/log/gwsync", "/var/lib/prometheus/node-exporter", "/run"):
            os.makedirs(self.paths[d], exist_ok=True)
        with open(os.path.join(self.paths["/etc/gwsync"], "s3cfg"), "w") as f:
            f.write(s3cfg)
        # cron's environment (cron(8)): root's HOME is the scratch one here.
        home = os.path.join(self.root, "root")
        os.makedirs(home)
        cron_env = {"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "HOME": home, "LOGNAME": "root"}
        before = time.time()
        r = subprocess.run(["env", "-i"] + [f"{k}={v}" for k, v in cron_env.items()] +
                           ["/bin/sh", "-c", command], cwd=home, capture_output=True, text=True,
                           timeout=TIMEOUT)
        words = shlex.split(command)
        self.check_run(r, words[words.index("--metrics-file") + 1],
                       words[words.index("--log-file") + 1], words[-1], before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
