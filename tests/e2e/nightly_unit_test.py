#!/usr/bin/env python3
"""The nightly units run as written. gwsync-nightly@db-wal.service's
ExecStart= line, with the example environment file
(deploy/examples/gwsync-nightly.env) as its EnvironmentFile=, runs once
against the test gateway: under systemd-run where systemd is the init,
otherwise directly, the way systemd would (tests/support/systemd_unit.py:
`env -i` with only the file's variables and what systemd adds, cwd /). The
cron line's command runs the same way under /bin/sh with cron's
environment. Both leave a Prometheus file with the run's figures and a log.

The service also runs, the way systemd would, on a machine without
node-exporter (its folder missing: a notice, a whole backup, exit 0, no
metrics file) and is stopped mid-run by SIGTERM, as `systemctl stop` does
(exit 143, the metrics and the log say so, and the next run fetches only
what the stopped one had not).

Only install paths are changed (/usr/bin/gwsync, /etc/gwsync, /var/...,
/srv/backup, /run) to a scratch folder, the example's bucket to the
test's, and for the stopped run GWSYNC_OPTS (slow enough to stop). Reads
GWSYNC_BIN and GWSYNC_TEST_* from the environment; fails, never skips.
"""

import os
import re
import shlex
import shutil
import signal
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
MiB = 1 << 20
SMALL = {"a": 1000, "b": 20000, "sub/c": 0}


def partial_downloads(folder):
    """The temporary files of downloads under way in folder."""
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return [n for n in names if n.startswith(".") and ".gwsync-" in n]


def log_says_started(log):
    if not os.path.exists(log):
        return False
    with open(log) as f:
        return any(l.endswith(": started") for l in f.read().splitlines())


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
        self.src = os.path.join(self.root, "data")
        self.sizes = {}

    def tearDown(self):
        subprocess.run([self.bin, "--endpoint", self.endpoint, "rb", "--force",
                        f"s3://{self.bucket}"], env=self.env, capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(self.root, ignore_errors=True)

    def upload(self, sizes):
        """What the job backs up: objects of these sizes in the test's bucket."""
        self.sizes = sizes
        for name, size in sizes.items():
            os.makedirs(os.path.dirname(os.path.join(self.src, name)), exist_ok=True)
            with open(os.path.join(self.src, name), "wb") as f:
                f.write(data_of(size, len(name)))
        r = subprocess.run([self.bin, "--endpoint", self.endpoint, "--quiet", "sync", "--no-index",
                            self.src, f"s3://{self.bucket}"], env=self.env, capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)

    def installed(self, text):
        """TEXT with the install paths moved into the scratch folder and the
        example's bucket replaced by the test's."""
        for prefix, there in self.paths.items():
            text = re.sub(re.escape(prefix) + r"(?=/|\b|$)", there, text)
        text = text.replace("prod:db-wal", f"prod:{self.bucket}")
        return text.replace("s3://db-wal", f"s3://{self.bucket}")

    def write_job(self, service, opts=None):
        """/etc/gwsync/db-wal.env from the example: install paths, keys, the
        remote's bucket, and GWSYNC_OPTS when given (else as shipped). The
        remotes file: prod is the test gateway. Returns the file's values."""
        with open(EXAMPLE_ENV) as f:
            example = f.read()
        example = example.replace("AWS_ACCESS_KEY_ID=CHANGEME",
                                  f"AWS_ACCESS_KEY_ID={self.access_key}")
        example = example.replace("AWS_SECRET_ACCESS_KEY=CHANGEME",
                                  f"AWS_SECRET_ACCESS_KEY={self.secret_key}")
        if opts is not None:
            example, n = re.subn(r"(?m)^GWSYNC_OPTS=.*$", f"GWSYNC_OPTS={opts}", example)
            self.assertEqual(n, 1, "the example sets GWSYNC_OPTS")
        os.makedirs(os.path.dirname(service.env_file))
        with open(service.env_file, "w") as f:
            f.write(self.installed(example))
        os.chmod(service.env_file, 0o600)
        env = service.environment()
        with open(env["GWSYNC_REMOTES"], "w") as f:
            f.write(f"[prod]\nendpoint = {self.endpoint}\naccess_key = {self.access_key}\n"
                    f"secret_key = {self.secret_key}\n")
        return env

    def check_backup(self, dst):
        for name in self.sizes:
            with open(os.path.join(self.src, name), "rb") as a, \
                    open(os.path.join(dst, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def last_log_line(self, log):
        with open(log) as f:
            return f.read().splitlines()[-1]

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
        self.assertTrue(any(re.search(f" download +{len(self.sizes)} objects", l) for l in lines),
                        lines)
        self.assertTrue(lines[-1].endswith("finished, exit code 0"), lines)
        self.check_backup(dst)

    def test_service(self):
        self.upload(SMALL)
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
        env = self.write_job(service)
        self.assertTrue(env["GWSYNC_OPTS"].split(), "the example passes flags in GWSYNC_OPTS")
        os.makedirs(os.path.dirname(env["GWSYNC_METRICS_FILE"]))  # node-exporter's

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

    def test_service_without_node_exporters_folder_still_backs_up(self):
        # A machine without prometheus-node-exporter: the metrics file has no
        # folder. The backup is whole and succeeds, the journal gets a
        # notice, and nothing makes node-exporter's folder in its place.
        self.upload(SMALL)
        service = Service(UNIT, INSTANCE, self.installed)
        env = self.write_job(service)
        metrics = env["GWSYNC_METRICS_FILE"]
        folder = os.path.dirname(metrics)
        r = service.run(TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, f"gwsync: notice: metrics file '{metrics}' not written: no "
                                   f"folder '{folder}' (is node-exporter's textfile collector "
                                   f"installed?)\n")
        self.assertFalse(os.path.exists(folder))
        self.check_backup(env["GWSYNC_DST"])
        self.assertTrue(self.last_log_line(option(service.argv(), "--log-file"))
                        .endswith("finished, exit code 0"))

    def test_service_stopped_by_sigterm_says_so_and_the_next_run_fetches_the_rest(self):
        # `systemctl stop` or a shutdown sends the running job SIGTERM. Six
        # objects, two at a time at 8 MB/s, take seconds; the signal comes
        # once the log says the run started and a download is under way.
        n, size = 6, 6 * MiB
        self.upload({f"wal{i}": size for i in range(n)})
        service = Service(UNIT, INSTANCE, self.installed)
        env = self.write_job(service, opts="--bwlimit 8M --concurrency 2")
        os.makedirs(os.path.dirname(env["GWSYNC_METRICS_FILE"]))  # node-exporter's
        argv = service.argv()
        metrics, log, dst = option(argv, "--metrics-file"), option(argv, "--log-file"), \
            env["GWSYNC_DST"]
        proc = service.start()
        try:
            deadline = time.monotonic() + 60
            while not (log_says_started(log) and partial_downloads(dst)):
                self.assertIsNone(proc.poll(), "the run ended before it was stopped")
                self.assertLess(time.monotonic(), deadline, "no download under way after 60 s")
                time.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 143, err)
        with open(metrics) as f:
            s = parse_exposition(f.read())
        self.assertEqual(value(s, "gwsync_sync_success"), 0)
        self.assertEqual(value(s, "gwsync_sync_exit_code"), 143)
        self.assertEqual(value(s, "gwsync_sync_interrupted", signal="SIGTERM"), 1)
        last = self.last_log_line(log)
        self.assertTrue(last.endswith(": finished, interrupted by SIGTERM, exit code 143"), last)
        # What was in flight finished; nothing half-written is left.
        done = [name for name in os.listdir(dst) if name.startswith("wal")]
        self.assertTrue(0 < len(done) < n, done)
        self.assertEqual(partial_downloads(dst), [])

        # The next night fetches only the rest.
        r = service.run(TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(metrics) as f:
            s = parse_exposition(f.read())
        self.assertEqual(value(s, "gwsync_sync_success"), 1)
        self.assertEqual(value(s, "gwsync_sync_objects", action="download"), n - len(done))
        self.assertEqual(value(s, "gwsync_sync_bytes", action="download"), (n - len(done)) * size)
        self.check_backup(dst)

    def test_cron_line(self):
        self.upload(SMALL)
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
        for d in ("/etc/gwsync", "/var/log/gwsync", "/var/lib/prometheus/node-exporter"):
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
