#!/usr/bin/env python3
"""The zsh completion `gwsync --generate zsh-completion` writes, checked by
zsh itself: `zsh -n` accepts it, and an interactive zsh with compinit
(tests/cli/zsh_complete.zsh, on a pseudo-terminal) offers at a Tab every
command `gwsync --help` lists and every long option each command's --help
lists (its own and the global ones), file names for paths, and nothing
after --help.

Usage: zsh_completion_test.py GWSYNC_BIN. Needs zsh (tools/install-deps.sh).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "zsh_complete.zsh")
BIN = None


def gwsync_help(*command):
    r = subprocess.run([BIN, *command, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def help_commands(text):
    """The commands under "Subcommands:" of a --help."""
    _, found, rest = text.partition("\nSubcommands:\n")
    if not found:
        return []
    return [m.group(1) for m in re.finditer(r"^  ([a-z][a-z0-9-]*) ", rest, re.M)]


def help_long_options(text):
    """Every --long option on an option line of a --help."""
    options = set()
    for line in text.splitlines():
        m = re.match(r"^\s+(-[^\s]+(?:, ?-[^\s]+)*)", line)
        if m:
            options.update(re.findall(r"--[a-z][a-z0-9-]*", m.group(1)))
    return options


class ZshCompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("zsh"):
            raise RuntimeError("zsh is not installed: run tools/install-deps.sh")
        cls.dir = tempfile.mkdtemp(prefix="gwsync-zsh-")
        r = subprocess.run([BIN, "--generate", "zsh-completion"], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        cls.script = r.stdout
        with open(os.path.join(cls.dir, "_gwsync"), "w") as f:
            f.write(cls.script)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def complete(self, line):
        """{match: description} zsh offers at a Tab after LINE."""
        r = subprocess.run(["zsh", HARNESS, self.dir, line], capture_output=True, text=True,
                           timeout=60, cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        matches = {}
        for l in r.stdout.splitlines():
            match, _, description = l.partition("\t")
            matches[match] = description
        return matches

    def test_syntax(self):
        self.assertTrue(self.script.startswith("#compdef gwsync\n"))
        r = subprocess.run(["zsh", "-n", os.path.join(self.dir, "_gwsync")], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_commands_and_their_options(self):
        commands = help_commands(gwsync_help())
        self.assertIn("sync", commands)
        self.assertIn("doctor", commands)
        offered = self.complete("gwsync ")
        self.assertEqual(set(commands), set(offered), "gwsync <Tab>")
        self.assertIn("make DST match SRC", offered["sync"], "with the command's description")
        paths = [(c,) for c in commands]
        for command in commands:
            paths += [(command, sub) for sub in help_commands(gwsync_help(command))]
        self.assertIn(("bench", "compare"), paths)
        for path in paths:
            with self.subTest(command=" ".join(path)):
                options = help_long_options(gwsync_help(*path))
                self.assertIn("--help", options)
                offered = set(self.complete("gwsync " + " ".join(path) + " --"))
                self.assertEqual(options - offered, set(), "in --help, not offered")
                self.assertEqual(offered - options, set(), "offered, not in --help")
        # Global options before the command.
        global_options = help_long_options(gwsync_help())
        self.assertEqual(global_options - set(self.complete("gwsync --")), set())

    def test_what_users_type(self):
        self.assertEqual(set(self.complete("gwsync sy")), {"sync"})
        dry = self.complete("gwsync sync --dry")
        self.assertEqual(list(dry), ["--dry-run"])
        self.assertIn("print the plan, change nothing", dry["--dry-run"])
        self.assertIn("--endpoint", self.complete("gwsync sync src dst --end"))
        self.assertEqual(set(self.complete("gwsync bench co")), {"compare"})
        self.assertEqual(set(self.complete("gwsync report ")), {"merge"})
        self.assertEqual(self.complete("gwsync sync --help "), {}, "nothing after --help")
        # Descriptions keep their colons and brackets, unescaped.
        self.assertIn("s3://BUCKET[/PREFIX]", self.complete("gwsync ")["ls"])
        self.assertIn("s3://BUCKET[/PREFIX] (its listing)",
                      self.complete("gwsync bench --sizes-f")["--sizes-from"])
        self.assertIn("(default: from a delimiter listing",
                      self.complete("gwsync sync --shard-p")["--shard-plan"])

    def test_paths_complete_as_files(self):
        os.makedirs(os.path.join(self.dir, "backup-src"), exist_ok=True)
        with open(os.path.join(self.dir, "metrics.prom"), "w"):
            pass
        self.assertIn("backup-src", self.complete("gwsync sync backup-"))
        self.assertIn("backup-src", self.complete("gwsync sync --delete backup-src/ backup-"))
        self.assertIn("metrics.prom", self.complete("gwsync sync --metrics-file metr"))
        self.assertIn("metrics.prom", self.complete("gwsync --ca-bundle metr"))
        self.assertEqual(self.complete("gwsync --rps 1"), {}, "a number is no file")


if __name__ == "__main__":
    BIN = sys.argv.pop(1)
    unittest.main(verbosity=2)
