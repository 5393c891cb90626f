#!/usr/bin/env python3
"""The nightly guide (docs/guide/nightly.md) followed as written, on a
machine set up from the Debian package: the .deb (cpack from this build)
unpacked into a scratch root, then the shell block the guide marks
`<!-- test: nightly -->` run line by line, in order (tests/docs/docs_test.py
counts this block as run here). Only install paths (/etc, /usr, /var, /srv)
move into the scratch root, and the gateway's endpoint and keys are the
test gateway's:

- `$EDITOR FILE` is this script (--edit), doing what the line's comment
  asks: prod's gateways and keys in the remotes file; install paths moved;
- `systemctl enable --now NAME.timer` checks the package has the timer and
  its service, and that the timer can be enabled;
- `systemctl start NAME` runs the service's ExecStart= as systemd would
  (tests/support/systemd_unit.py) and waits for it, as for a oneshot.

The bucket is the one the example names, filled beforehand as production
would have it; node-exporter is installed (its folder exists). The backup
must land where the example says, whole, and the metrics file say success.
The package's cron line runs the same way, under cron's environment.

Reads GWSYNC_BIN (to fill the bucket), GWSYNC_BUILD_DIR (ctest sets it) and
GWSYNC_TEST_* from the environment; fails, never skips.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from gwtest import build_deb, data_of, gwsync_env, read_tree, require  # noqa: E402
from nightly_test import parse_exposition, value  # noqa: E402
from systemd_unit import Service, option, read_unit  # noqa: E402

TIMEOUT = 120
GUIDE = os.path.join(HERE, "..", "..", "docs", "guide", "nightly.md")
UNIT_FOLDERS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
EXAMPLES = "/usr/share/doc/gwsync/examples"
# An absolute install path, not inside another path or word.
INSTALL_PATH = re.compile(r"(?<![\w./-])(?=/(?:etc|usr|var|srv)/)")
SMALL = {"wal_005/000000010000000000000001": 70000, "basebackups_005/base.tar": 30000,
         "empty": 0}


def moved(text, root):
    """text with its install paths inside root."""
    return INSTALL_PATH.sub(root, text)


def guide_block(name):
    """The lines of the fenced block right after `<!-- test: NAME -->`."""
    with open(GUIDE) as f:
        text = f.read()
    marker = f"<!-- test: {name} -->"
    assert text.count(marker) == 1, f"docs/guide/nightly.md marks one block {marker}"
    m = re.match(r"\s*```\w*\n(.*?)\n```", text.split(marker, 1)[1], re.S)
    assert m, f"a fenced block right after {marker}"
    return m.group(1).splitlines()


def edit(path):
    """The operator's edit of a file the guide copies: the install paths
    moved into the scratch root, and in a remotes file the gateways and keys
    of prod (the cluster the example backs up) made the test gateway's."""
    root = require("GWSYNC_TEST_ROOT")
    endpoints = (os.environ.get("GWSYNC_TEST_ENDPOINTS") or require("GWSYNC_TEST_ENDPOINT")).split()
    with open(path) as f:
        lines = moved(f.read(), root).splitlines()
    out, section, written = [], None, False
    for line in lines:
        m = re.match(r"\s*\[(.*)\]\s*$", line)
        if m:
            section = m.group(1).strip()
        key = line.split("=", 1)[0].strip() if "=" in line else None
        if section == "prod" and key == "endpoint":
            if not written:
                out.extend(f"endpoint = {e}" for e in endpoints)
                written = True
            continue
        if section == "prod" and key == "access_key":
            line = f"access_key = {require('GWSYNC_TEST_ACCESS_KEY')}"
        if section == "prod" and key == "secret_key":
            line = f"secret_key = {require('GWSYNC_TEST_SECRET_KEY')}"
        out.append(line)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


class NightlyRunbookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="gwsync-nightly-runbook-")
        cls.addClassCleanup(shutil.rmtree, cls.work, ignore_errors=True)
        cls.deb = build_deb(require("GWSYNC_BUILD_DIR"), os.path.join(cls.work, "out"))

    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = (os.environ.get("GWSYNC_TEST_ENDPOINT") or
                         require("GWSYNC_TEST_ENDPOINTS").split()[0])
        self.root = tempfile.mkdtemp(dir=self.work)
        subprocess.run(["dpkg-deb", "-x", self.deb, self.root], check=True)
        self.home = os.path.join(self.root, "root")
        os.makedirs(self.home)
        # node-exporter installed: its textfile collector's folder.
        os.makedirs(self.root + "/var/lib/prometheus/node-exporter")
        # Production: the bucket the example backs up, with a few objects.
        self.env = gwsync_env(os.path.join(self.work, "home"))
        example = self.read(f"{EXAMPLES}/gwsync-nightly.env")
        [self.bucket] = re.findall(r"(?m)^GWSYNC_SRC=prod:(\S+)$", example)
        self.src = os.path.join(self.work, "production")
        shutil.rmtree(self.src, ignore_errors=True)
        for name, size in SMALL.items():
            os.makedirs(os.path.dirname(os.path.join(self.src, name)), exist_ok=True)
            with open(os.path.join(self.src, name), "wb") as f:
                f.write(data_of(size, len(name)))
        r = self.gwsync("sync", "--delete", "--no-index", self.src, f"s3://{self.bucket}")
        self.assertEqual(r.returncode, 0, f"the example's bucket {self.bucket}: {r.stderr}")

    def tearDown(self):
        self.gwsync("rb", "--force", f"s3://{self.bucket}")

    def gwsync(self, *args):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, "--quiet", *args],
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT)

    def read(self, path):
        with open(self.root + path) as f:
            return f.read()

    def unit(self, name):
        """The package's unit file NAME where systemd looks for it."""
        for folder in UNIT_FOLDERS:
            if os.path.exists(self.root + f"{folder}/{name}"):
                return self.root + f"{folder}/{name}"
        self.fail(f"the package has no unit {name}")

    def systemctl(self, words):
        verb, *args = words
        if verb == "enable":
            [name] = [a for a in args if a != "--now"]
            m = re.fullmatch(r"(.+@)(.+)\.timer", name)
            self.assertTrue(m, f"systemctl enable {name}: the test knows template timers only")
            timer = read_unit(self.unit(f"{m.group(1)}.timer"))
            self.assertIn("timers.target", timer["Install"]["WantedBy"], "enable needs [Install]")
            self.unit(f"{m.group(1)}.service")
            return
        self.assertEqual(verb, "start", f"systemctl {verb}: a line the test does not know")
        [name] = args
        m = re.fullmatch(r"(.+@)(.+?)(\.service)?", name)
        self.assertTrue(m, f"systemctl start {name}: the test knows template services only")
        service = Service(self.unit(f"{m.group(1)}.service"), m.group(2),
                          lambda text: moved(text, self.root))
        r = service.run(TIMEOUT)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), "the first run")
        self.service = service

    def check_backup(self, dst, metrics, log):
        self.assertEqual(read_tree(dst), read_tree(self.src), "the backup is the bucket")
        with open(metrics) as f:
            s = parse_exposition(f.read())
        self.assertEqual(value(s, "gwsync_sync_success"), 1)
        self.assertEqual(value(s, "gwsync_sync_objects", action="download"), len(SMALL))
        with open(log) as f:
            last = f.read().splitlines()[-1]
        self.assertTrue(last.endswith(": finished, exit code 0"), last)

    def test_the_nightly_guide_verbatim(self):
        shell_env = {"PATH": os.environ["PATH"], "HOME": self.home,
                     "EDITOR": f"{sys.executable} {os.path.abspath(__file__)} --edit",
                     "GWSYNC_TEST_ROOT": self.root}
        for name in ("GWSYNC_TEST_ENDPOINT", "GWSYNC_TEST_ENDPOINTS", "GWSYNC_TEST_ACCESS_KEY",
                     "GWSYNC_TEST_SECRET_KEY"):
            shell_env[name] = os.environ.get(name, "")
        self.service = None
        for line in guide_block("nightly"):
            words = shlex.split(line, comments=True)
            if not words:
                continue
            if words[0] == "systemctl":
                self.systemctl(words[1:])
                continue
            r = subprocess.run(["bash", "-c", moved(line, self.root)], cwd=self.home,
                               env=shell_env, capture_output=True, text=True, timeout=TIMEOUT)
            self.assertEqual(r.returncode, 0, f"{line}\n{r.stdout}{r.stderr}")
        self.assertIsNotNone(self.service, "the section starts the service once")
        env = self.service.environment()
        argv = self.service.argv()
        self.check_backup(env["GWSYNC_DST"], env["GWSYNC_METRICS_FILE"],
                          option(argv, "--log-file"))

    def test_the_packages_cron_line(self):
        # The operator's /etc/gwsync/s3cfg, from the package's example.
        s3cfg = self.root + "/etc/gwsync/s3cfg"
        shutil.copy(self.root + f"{EXAMPLES}/s3cfg", s3cfg)
        os.chmod(s3cfg, 0o600)
        host = re.sub(r"^https?://", "", self.endpoint)
        with open(s3cfg) as f:
            text = f.read()
        text = re.sub(r"(?m)^(host_base|host_bucket) = .*$", rf"\1 = {host}", text)
        text = text.replace("access_key = CHANGEME",
                            f"access_key = {require('GWSYNC_TEST_ACCESS_KEY')}")
        text = text.replace("secret_key = CHANGEME",
                            f"secret_key = {require('GWSYNC_TEST_SECRET_KEY')}")
        with open(s3cfg, "w") as f:
            f.write(text)
        [line] = [l for l in self.read(f"{EXAMPLES}/gwsync.cron").splitlines()
                  if l.strip() and not l.startswith("#")]
        command = moved(line.split(None, 6)[6], self.root)
        # cron's environment (cron(8)), root's home in the scratch root.
        cron_env = {"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "HOME": self.home,
                    "LOGNAME": "root"}
        r = subprocess.run(["env", "-i"] + [f"{k}={v}" for k, v in cron_env.items()] +
                           ["/bin/sh", "-c", command], cwd=self.home, capture_output=True,
                           text=True, timeout=TIMEOUT)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), "cron mails nothing")
        words = shlex.split(command)
        self.check_backup(words[-1], option(words, "--metrics-file"), option(words, "--log-file"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--edit"]:
        edit(sys.argv[2])
    else:
        unittest.main(verbosity=2)
