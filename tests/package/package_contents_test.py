#!/usr/bin/env python3
"""What the Debian package holds, looked at without installing it: built
with cpack from this build folder (as tools/package.sh does), listed and
unpacked with dpkg-deb. It makes every folder its nightly units and cron
line write into that neither systemd nor gwsync makes (the job files'
/etc/gwsync, root's alone; the cron line's /var/log/gwsync), holds the units
where systemd looks and the examples the nightly guide copies, and apt shows its
description as written. node-exporter's folder is node-exporter's: a run
without it says so in a notice (tests/e2e/nightly_unit_test.py).

Needs no root and no gateway. GWSYNC_BUILD_DIR is the build folder (ctest
sets it); fails, never skips.
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import build_deb, require  # noqa: E402
from systemd_unit import MANAGED_FOLDERS, read_unit, specifiers  # noqa: E402

UNITS = "/usr/lib/systemd/system"
EXAMPLES = "/usr/share/doc/gwsync/examples"


class PackageContentsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="gwsync-package-contents-")
        cls.addClassCleanup(shutil.rmtree, cls.work, ignore_errors=True)
        cls.deb = build_deb(require("GWSYNC_BUILD_DIR"), os.path.join(cls.work, "out"))
        listing = subprocess.run(["dpkg-deb", "-c", cls.deb], check=True, capture_output=True,
                                 text=True).stdout
        # "drwxr-x--- root/root 0 2024-01-01 00:00 ./etc/gwsync/" -> {"/etc/gwsync": (mode, owner)}
        cls.entries = {}
        for line in listing.splitlines():
            mode, owner, _, _, _, path = line.split(None, 5)
            cls.entries[path[1:].rstrip("/") or "/"] = (mode, owner)
        cls.root = os.path.join(cls.work, "root")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)

    def shipped_folder(self, path):
        mode, owner = self.entries.get(path, ("", ""))
        return mode.startswith("d") and owner == "root/root"

    def test_the_job_files_folder_is_roots_alone(self):
        # The nightly guide's `install -m 600 ... /etc/gwsync/NAME.env` needs it; the
        # files hold keys, so no one else may list or read them.
        self.assertEqual(self.entries.get("/etc/gwsync"), ("drwxr-x---", "root/root"))

    def test_the_logs_folder_is_there_for_the_cron_line(self):
        self.assertEqual(self.entries.get("/var/log/gwsync"), ("drwxr-xr-x", "root/root"))

    def test_units_examples_binary_and_docs(self):
        for path in ("/usr/bin/gwsync", f"{UNITS}/gwsync-nightly@.service",
                     f"{UNITS}/gwsync-nightly@.timer", f"{EXAMPLES}/gwsync-nightly.env",
                     f"{EXAMPLES}/remotes.conf", f"{EXAMPLES}/s3cfg", f"{EXAMPLES}/gwsync.cron",
                     "/usr/share/man/man1/gwsync.1.gz",
                     "/usr/share/bash-completion/completions/gwsync",
                     "/usr/share/zsh/vendor-completions/_gwsync"):
            self.assertIn(path, self.entries)
            self.assertTrue(self.entries[path][0].startswith("-"), path)
        self.assertEqual(self.entries["/usr/bin/gwsync"][0], "-rwxr-xr-x")

    def test_the_service_writes_only_where_a_folder_is_made_for_it(self):
        service = read_unit(self.root + f"{UNITS}/gwsync-nightly@.service")["Service"]
        [env_file] = service["EnvironmentFile"]
        self.assertTrue(self.shipped_folder(os.path.dirname(env_file)), env_file)
        made_by_systemd = {f"{base}/{name}" for key, base, _ in MANAGED_FOLDERS
                           for name in " ".join(service.get(key, [])).split()}
        words = shlex.split(specifiers(service["ExecStart"][0], "db-wal"))
        for flag in ("--index", "--log-file"):
            folder = os.path.dirname(words[words.index(flag) + 1])
            self.assertTrue(folder in made_by_systemd or self.shipped_folder(folder),
                            f"{flag}: nothing makes {folder}")

    def test_the_cron_line_writes_only_into_shipped_folders(self):
        with open(self.root + f"{EXAMPLES}/gwsync.cron") as f:
            [line] = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
        words = shlex.split(line.split(None, 6)[6])
        for flag in ("--config", "--log-file"):
            folder = os.path.dirname(words[words.index(flag) + 1])
            self.assertTrue(self.shipped_folder(folder), f"{flag}: nothing makes {folder}")

    def test_apt_shows_the_description_as_written(self):
        description = subprocess.run(["dpkg-deb", "-f", self.deb, "Description"], check=True,
                                     capture_output=True, text=True).stdout
        lines = description.splitlines()
        self.assertGreater(len(lines), 1, "a long description under the summary")
        # A CMake list given as the description shows its separator to the user.
        self.assertEqual([l for l in lines if l.lstrip().startswith(";")], [], description)


if __name__ == "__main__":
    unittest.main(verbosity=2)
