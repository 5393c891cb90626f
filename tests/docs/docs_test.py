#!/usr/bin/env python3
"""The documentation's commands, run: README.md and every page under docs/.

A shell block marked by `<!-- test: NAME -->` on the line before its fence
is run against the test gateway, as a user would type it: on its own, under
`bash -e -o pipefail`, in a scratch folder that is also its HOME, with the
build's gwsync first on the PATH and the test user's keys and gateway in
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_ENDPOINT_URL. Before it
runs, the documented local gateway http://127.0.0.1:7480 becomes the test
gateway, the placeholder keys (`AWS_ACCESS_KEY_ID=...`, `access_key = ...`)
the test user's, and the absolute paths the examples use (ROOTS) move into
the scratch folder. What a block expects to exist (the bucket `registry`,
a `layer.tar`, a `pg_dumpall`) is made by its entry in SETUP, which the
reader does not see; the buckets a block made are removed after it.

Besides: the marked blocks are exactly BLOCKS (a block removed or renamed
fails), every `gwsync COMMAND` in a code block is a command `gwsync --help`
lists, every option a command's --help lists is in the flag reference,
relative links lead to files that exist, and no page names an internal
issue number.

Reads GWSYNC_BIN and GWSYNC_TEST_* from the environment (tools/test.sh sets
them); fails, never skips.
"""

import glob
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
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
from gwtest import clean_env, require  # noqa: E402

TIMEOUT = 300

# Every marked block: its name and the page it is on. A block another test
# runs is in ELSEWHERE with that test, which must name it.
BLOCKS = {
    "readme": "README.md",
    "backup-restore": "docs/guide/backup-restore.md",
    "objects": "docs/guide/objects.md",
    "zstd-roundtrip": "docs/guide/objects.md",
    "manifest": "docs/guide/proving-backups.md",
    "verify": "docs/guide/proving-backups.md",
    "xxh128sum": "docs/guide/proving-backups.md",
    "du": "docs/guide/proving-backups.md",
    "nightly-by-hand": "docs/guide/nightly.md",
    "caps": "docs/guide/nightly.md",
    "shards": "docs/guide/scale-out.md",
    "s3cmd-runbook": "docs/guide/from-s3cmd.md",
    "doctor": "docs/guide/gateway-checks-and-bench.md",
    "bench": "docs/guide/gateway-checks-and-bench.md",
    "exit-codes": "docs/reference/exit-codes.md",
    "json": "docs/reference/json-report.md",
    "remotes": "docs/reference/config-files.md",
}
ELSEWHERE = {
    "nightly": ("docs/guide/nightly.md", "tests/e2e/nightly_runbook_test.py"),
}

# Absolute paths of the examples, moved into the scratch folder.
ROOTS = ("/backup", "/srv", "/var/lib/wal", "/var/log/gwsync", "/var/lib/prometheus")
ROOT_RE = re.compile(r"(?<![\w./~$-])(?=(?:%s)(?:/|\b))" % "|".join(map(re.escape, ROOTS)))

# What the reader's machine already has, defined before every block.
PRELUDE = r"""
pg_dumpall() { python3 "$GWSYNC_REPO/tests/support/gen_sqldump.py" --size 1MiB --seed 1; }
psql() { cat > /dev/null; }
registry_tree() { "$GWSYNC_REPO/tools/gen-registry.py" "$1" --size 2MiB --seed 1 > /dev/null; }
# The bucket `registry` of a registry, as the guides assume it.
registry_bucket() {
  registry_tree "$DOCS_FIXTURE/registry"
  gwsync sync --quiet --no-index "$DOCS_FIXTURE/registry/" s3://registry
}
"""

# Per block: what it expects to find, made before it runs (paths moved too).
SETUP = {
    "readme": "registry_tree registry",
    "backup-restore": """registry_bucket
mkdir -p /var/lib/wal
echo segment > /var/lib/wal/000000010000000000000001
echo scratch > /var/lib/wal/a.tmp""",
    "objects": "head -c 300000 /dev/urandom > layer.tar",
    "manifest": "registry_bucket",
    "verify": "registry_bucket",
    "xxh128sum": "registry_bucket",
    "du": "registry_bucket",
    "nightly-by-hand": """mkdir -p "$DOCS_FIXTURE/wal"
echo segment > "$DOCS_FIXTURE/wal/000000010000000000000001"
gwsync sync --quiet --no-index "$DOCS_FIXTURE/wal" s3://db-wal""",
    "caps": "registry_bucket",
    "shards": "registry_bucket",
    # Deis' runbook: the folders a database server and a registry leave, and
    # nothing but ~/.s3cfg for keys and gateway.
    "s3cmd-runbook": """mkdir -p basebackups_005 wal_005 && echo base > basebackups_005/base.tar
echo segment > wal_005/000000010000000000000001
registry_tree registry
cat > ~/.s3cfg <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = ${AWS_ENDPOINT_URL#http://}
host_bucket = ${AWS_ENDPOINT_URL#http://}
use_https = False
signature_v2 = False
EOF
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL""",
    "exit-codes": "registry_bucket",
    "json": "registry_bucket",
    "remotes": "registry_bucket",
}

DOCUMENTED_ENDPOINT = "http://127.0.0.1:7480"
ISSUE_RE = re.compile(r"\bissues?\s+#?\d+\b", re.I)


def pages():
    """README.md, deploy/k8s/README.md and every page under docs/, as paths
    relative to the repo."""
    found = ["README.md", "deploy/k8s/README.md"] + sorted(
        os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "**", "*.md"),
                                                    recursive=True))
    return found


def read(rel):
    with open(os.path.join(REPO, rel)) as f:
        return f.read()


def code_blocks(text):
    """(info string, body, marker name or None, line number) of each fenced
    block; a fence closes with at least as many backticks as it opened with,
    and a marker is the line right before a fence, outside any block."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^\s*(`{3,})(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2).strip(), i
        prev = lines[i - 1].strip() if i > 0 else ""
        marker = re.fullmatch(r"<!-- test: ([\w-]+) -->", prev)
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*`{%d,}\s*$" % len(fence), lines[i]):
            body.append(lines[i])
            i += 1
        blocks.append((info, "\n".join(body), marker.group(1) if marker else None, start + 1))
        i += 1
    return blocks


def marked_blocks():
    """name -> [(page, body, line)] of every marked block."""
    out = {}
    for page in pages():
        for info, body, name, line in code_blocks(read(page)):
            if name:
                out.setdefault(name, []).append((page, info, body, line))
    return out


def anchors(path):
    """The anchors GitHub gives a page's headings (outside code blocks)."""
    with open(path) as f:
        text = f.read()
    for _, body, _, _ in code_blocks(text):
        text = text.replace(body, "")
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"(?m)^#{1,6} (.*)$", text)}


def gwsync_help(*command):
    r = subprocess.run([require("GWSYNC_BIN"), *command, "--help"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, f"gwsync {' '.join(command)} --help: {r.stderr}"
    return r.stdout


def help_section(text, name):
    m = re.search(r"^%s:\n(.*?)(?:\n\n|\Z)" % name, text, re.S | re.M)
    return m.group(1) if m else ""


def commands():
    return set(re.findall(r"^  ([a-z][\w-]*)\s", help_section(gwsync_help(), "Subcommands"), re.M))


def value_options():
    """Global options that take a value (their help line names one)."""
    opts = set()
    for line in help_section(gwsync_help(), "Options").splitlines():
        m = re.match(r"^\s+(?:-\w,)?(--[\w-]+)\s+([A-Z][A-Z:|/%_]*)", line)
        if m:
            opts.add(m.group(1))
    return opts


def substituted(text, scratch_root):
    key, secret = require("GWSYNC_TEST_ACCESS_KEY"), require("GWSYNC_TEST_SECRET_KEY")
    text = text.replace(DOCUMENTED_ENDPOINT, endpoint())
    text = text.replace("AWS_ACCESS_KEY_ID=...", f"AWS_ACCESS_KEY_ID={shlex.quote(key)}")
    text = text.replace("AWS_SECRET_ACCESS_KEY=...", f"AWS_SECRET_ACCESS_KEY={shlex.quote(secret)}")
    text = re.sub(r"(?m)^access_key = \.\.\.$", f"access_key = {key}", text)
    text = re.sub(r"(?m)^secret_key = \.\.\.$", f"secret_key = {secret}", text)
    return ROOT_RE.sub(scratch_root, text)


def endpoint():
    return os.environ.get("GWSYNC_TEST_ENDPOINT") or require("GWSYNC_TEST_ENDPOINTS").split()[0]


class DocsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = require("GWSYNC_BIN")
        cls.work = tempfile.mkdtemp(prefix="gwsync-docs-")
        cls.addClassCleanup(shutil.rmtree, cls.work, ignore_errors=True)
        cls.blocks = marked_blocks()

    def env(self, home):
        env = clean_env(home)
        env.update(PATH=os.path.dirname(os.path.abspath(self.bin)) + os.pathsep + env["PATH"],
                   AWS_ACCESS_KEY_ID=require("GWSYNC_TEST_ACCESS_KEY"),
                   AWS_SECRET_ACCESS_KEY=require("GWSYNC_TEST_SECRET_KEY"),
                   AWS_ENDPOINT_URL=endpoint(), GWSYNC_REPO=REPO)
        return env

    def buckets(self, env):
        r = subprocess.run([self.bin, "ls"], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, f"gwsync ls: {r.stderr}")
        return set(re.findall(r"s3://([^/\s]+)", r.stdout))

    def run_block(self, name):
        [(page, info, body, line)] = self.blocks[name]
        self.assertEqual(info, "sh", f"{page}:{line}: the block {name} is not a sh block")
        scratch = tempfile.mkdtemp(prefix=f"{name}-", dir=self.work)
        home, cwd, root, fixture = (os.path.join(scratch, d) for d in
                                    ("home", "work", "root", "fixture"))
        for d in (home, cwd, root, fixture):
            os.makedirs(d)
        env = self.env(home)
        env["DOCS_FIXTURE"] = fixture
        before = self.buckets(env)
        script = "\n".join([PRELUDE, substituted(SETUP.get(name, ""), root),
                            f"# {page}:{line}", substituted(body, root), ""])
        try:
            t = time.monotonic()
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                               capture_output=True, text=True, timeout=TIMEOUT)
            took = time.monotonic() - t
            self.assertEqual(r.returncode, 0,
                             f"{page}:{line}: the block {name} exited {r.returncode}\n"
                             f"--- script\n{script}\n--- stdout\n{r.stdout[-4000:]}\n"
                             f"--- stderr\n{r.stderr[-4000:]}")
            print(f"docs: {name} ({page}:{line}) ran in {took:.1f} s", file=sys.stderr)
        finally:
            for b in sorted(self.buckets(self.env(home)) - before):
                subprocess.run([self.bin, "rb", "--force", f"s3://{b}"], env=self.env(home),
                               capture_output=True, timeout=TIMEOUT)

    def test_the_marked_blocks_are_the_expected_ones(self):
        found = {name: [page for page, _, _, _ in where] for name, where in self.blocks.items()}
        expected = dict(BLOCKS, **{n: page for n, (page, _) in ELSEWHERE.items()})
        self.assertEqual(sorted(found), sorted(expected), "marked blocks (add new ones to BLOCKS)")
        for name, page in expected.items():
            self.assertEqual(found[name], [page], f"the block {name}: once, on {page}")
        self.assertEqual(sorted(SETUP.keys() - BLOCKS.keys()), [], "SETUP of unknown blocks")
        for name, (_, test) in ELSEWHERE.items():
            self.assertIn(f"test: {name}", read(test), f"{test} runs the block {name}")

    def test_every_gwsync_command_in_a_code_block_exists(self):
        known, takes_value = commands(), value_options()
        self.assertIn("sync", known)
        bad = []
        for page in pages():
            for info, body, _, line in code_blocks(read(page)):
                for n, text in enumerate(body.split("\n")):
                    text = text.strip()
                    if info not in ("sh", "bash"):
                        if not text.startswith("$ "):
                            continue  # output, not a command
                        text = text[2:]
                    # gwsync, build/cli/gwsync, /usr/bin/gwsync; not /var/log/gwsync
                    for m in re.finditer(r"(?:^|[\s|;&(`])(?:[^\s=]*(?:cli|bin)/)?gwsync\s+(.*)",
                                         text):
                        words = m.group(1).split()
                        i = 0
                        while i < len(words) and (words[i].startswith("-") or
                                                  words[i].startswith("$")):
                            i += 2 if words[i].split("=")[0] in takes_value and \
                                "=" not in words[i] else 1
                        if i < len(words) and words[i] != "\\" and words[i] not in known:
                            bad.append(f"{page}:{line + 1 + n}: gwsync {words[i]}")
        self.assertEqual(bad, [], "commands gwsync --help does not list")

    def test_the_flag_reference_lists_every_option(self):
        reference = read("docs/reference/flags.md")
        missing = []
        for command in [[]] + [[c] for c in sorted(commands())] + [["report", "merge"],
                                                                   ["bench", "compare"]]:
            for section in ("Options", "Global options"):
                for opt in re.findall(r"^\s+(?:-\w,)?(--[\w-]+)",
                                      help_section(gwsync_help(*command), section), re.M):
                    if opt != "--help" and f"{opt}" not in reference:
                        missing.append(f"gwsync {' '.join(command)} {opt}")
        self.assertEqual(missing, [], "options missing from docs/reference/flags.md")

    def test_relative_links_lead_to_files_and_headings(self):
        broken = []
        for page in pages():
            for target in re.findall(r"\]\(([^)\s]+)\)", read(page)):
                if re.match(r"^[a-z]+:", target):
                    continue
                file, _, anchor = target.partition("#")
                path = os.path.normpath(os.path.join(REPO, os.path.dirname(page), file)) \
                    if file else os.path.join(REPO, page)
                if not os.path.exists(path):
                    broken.append(f"{page}: {target}")
                elif anchor and path.endswith(".md") and anchor not in anchors(path):
                    broken.append(f"{page}: {target} (no such heading)")
        self.assertEqual(broken, [], "links to files or headings that do not exist")

    def test_no_page_names_an_internal_issue(self):
        hits = [f"{page}: {m.group(0)}" for page in pages() for m in ISSUE_RE.finditer(read(page))]
        self.assertEqual(hits, [], "internal issue numbers mean nothing to a reader")


def _block_test(name):
    return lambda self: self.run_block(name)


for _name in BLOCKS:
    setattr(DocsTest, "test_block_" + _name.replace("-", "_"), _block_test(_name))


if __name__ == "__main__":
    unittest.main(verbosity=2)
