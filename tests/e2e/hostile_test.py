#!/usr/bin/env python3
# size: one case per misbehaviour of tests/support/hostile_s3.py, beside it.
"""gwsync against a gateway that cannot be trusted (tests/support/hostile_s3.py):
a listing that repeats its continuation token or sends empty pages forever,
an answer of 100 MiB, keys out of order or outside the prefix, a GET longer
than the object listed, an object claiming 10 TB, an answer dripped 2 bytes
a second, keys with escape sequences, a listing that never ends or whose
tokens go round in a cycle; and a local user who swaps a folder for a link
or a file for a FIFO under a running upload, and modes a backup must not
leave open. Each test asserts what a user sees: a clear one-line error, an
exit code, a bounded time and memory, nothing left on disk, nothing uploaded
that the user must not get, and a terminal never driven by the gateway's
bytes.

Needs no Ceph: GWSYNC_BIN only. Fails, never skips, when it is missing.
"""

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from gwtest import clean_env, require  # noqa: E402

TIMEOUT = 30  # seconds: every hostile answer must end well within this
PUT_DELAY = 0.02  # seconds each PUT to a store-* bucket waits: uploads last a while


def setUpModule():
    global BIN, SCRATCH, ENV, SERVER, ENDPOINT
    BIN = require("GWSYNC_BIN")
    SCRATCH = tempfile.mkdtemp(prefix="gwsync-hostile-")
    ENV = clean_env(SCRATCH)
    ENV.update(AWS_ACCESS_KEY_ID="hostile", AWS_SECRET_ACCESS_KEY="hostile-secret")
    SERVER = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "support", "hostile_s3.py"),
                               "--put-delay", str(PUT_DELAY)],
                              stdout=subprocess.PIPE, text=True)
    line = SERVER.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        SERVER.kill()
        raise RuntimeError(f"hostile_s3.py did not print its port: {line}")
    ENDPOINT = f"http://127.0.0.1:{line[1]}"


def tearDownModule():
    SERVER.send_signal(signal.SIGTERM)
    try:
        SERVER.wait(5)
    except subprocess.TimeoutExpired:
        SERVER.kill()
        SERVER.wait()
    SERVER.stdout.close()
    shutil.rmtree(SCRATCH, ignore_errors=True)


def stats():
    with urllib.request.urlopen(ENDPOINT + "/_stats", timeout=5) as r:
        return json.loads(r.read())


def stored(bucket):
    """key -> content (latin-1) of a store-* bucket."""
    with urllib.request.urlopen(f"{ENDPOINT}/_store/{bucket}", timeout=5) as r:
        return json.loads(r.read())


def store_put(bucket, key, data, meta=None):
    req = urllib.request.Request(f"{ENDPOINT}/{bucket}/{key}", data=data, method="PUT",
                                 headers={f"x-amz-meta-{k}": v for k, v in (meta or {}).items()})
    urllib.request.urlopen(req, timeout=5).close()


class Run:
    def __init__(self, code, out, err, seconds, max_rss_kib):
        self.code, self.out, self.err = code, out, err
        self.seconds, self.max_rss_kib = seconds, max_rss_kib

    def __str__(self):
        return (f"exit {self.code} after {self.seconds:.1f} s, peak RSS {self.max_rss_kib} KiB\n"
                f"stdout: {self.out[-1500:]!r}\nstderr: {self.err[-1500:]!r}")


class HostileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=SCRATCH)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def gwsync(self, *args, umask=None):
        """Runs gwsync against the hostile gateway; a run that outlasts
        TIMEOUT is killed and fails the test (it would have hung)."""
        return self.finish(self.start(*args, umask=umask))

    def start(self, *args, umask=None):
        """Starts gwsync in the background (finish waits for it)."""
        out = open(os.path.join(self.tmp, "out"), "wb")
        err = open(os.path.join(self.tmp, "err"), "wb")
        preexec = (lambda: os.umask(umask)) if umask is not None else None
        proc = subprocess.Popen([BIN, "--endpoint", ENDPOINT, *args], env=ENV, cwd=self.tmp,
                                stdout=out, stderr=err, preexec_fn=preexec)
        out.close()
        err.close()
        proc.args_shown, proc.started = " ".join(args), time.monotonic()
        return proc

    def finish(self, proc):
        deadline = proc.started + TIMEOUT
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                self.fail(f"gwsync {proc.args_shown!r} still ran after {TIMEOUT} s: it hangs")
            time.sleep(0.05)
        seconds = time.monotonic() - proc.started
        with open(os.path.join(self.tmp, "out"), "rb") as f:
            stdout = f.read().decode("utf-8", "backslashreplace")
        with open(os.path.join(self.tmp, "err"), "rb") as f:
            stderr = f.read().decode("utf-8", "backslashreplace")
        return Run(proc.returncode, stdout, stderr, seconds, usage.ru_maxrss)

    def assertOneLineError(self, r, *words):
        self.assertEqual(r.code, 1, str(r))
        lines = r.err.strip().splitlines()
        self.assertEqual(len(lines), 1, f"not one line: {r}")
        self.assertTrue(lines[0].startswith("gwsync: "), str(r))
        for w in words:
            self.assertIn(w, lines[0], str(r))

    # --- listings that never end ------------------------------------------

    def test_ls_stops_on_a_repeated_continuation_token(self):
        r = self.gwsync("ls", "-r", "s3://loop")
        self.assertOneLineError(r, "repeated its continuation token")

    def test_rm_r_stops_on_a_repeated_continuation_token(self):
        r = self.gwsync("rm", "-r", "s3://loop/")
        self.assertOneLineError(r, "repeated its continuation token")

    def test_rb_force_stops_on_a_repeated_continuation_token(self):
        r = self.gwsync("rb", "--force", "s3://loop")
        self.assertOneLineError(r, "repeated its continuation token")

    def test_ls_stops_after_empty_truncated_pages(self):
        before = stats()["list_requests"]
        r = self.gwsync("ls", "-r", "s3://empty-loop")
        self.assertOneLineError(r, "empty truncated listing pages")
        self.assertLess(stats()["list_requests"] - before, 30)

    # Every page is in order and has a new token: only the bucket's own
    # count (5 objects) says that 100,000 keys later it is lying.
    def test_an_endless_listing_stops_past_the_bucket_count(self):
        before = stats()["list_requests"]
        r = self.gwsync("ls", "-r", "s3://endless")
        self.assertOneLineError(r, "more than 100,010 keys", "(X-RGW-Object-Count)")
        self.assertLess(stats()["list_requests"] - before, 110)

    def test_an_endless_listing_without_a_count_stops_at_the_limit(self):
        r = self.gwsync("--list-limit", "5000", "ls", "-r", "s3://endless-nocount")
        self.assertOneLineError(r, "more than 5,000 keys", "--list-limit")
        r = self.gwsync("du", "--list-limit", "5000", "s3://endless-nocount")
        self.assertOneLineError(r, "more than 5,000 keys")

    def test_sync_of_an_endless_listing_ends_and_deletes_nothing(self):
        dest = os.path.join(self.tmp, "dest")
        os.makedirs(dest)
        with open(os.path.join(dest, "mine"), "w") as f:
            f.write("kept")
        # Excluded keys are still listed and counted, not downloaded.
        r = self.gwsync("sync", "--no-index", "--delete", "--exclude", "k-*", "s3://endless", dest)
        self.assertEqual(r.code, 1, str(r))
        self.assertIn("more than 100,010 keys", r.err, str(r))
        self.assertIn("not deleting 1 objects", r.err, str(r))
        self.assertTrue(os.path.exists(os.path.join(dest, "mine")), "deleted on a broken listing")

    def test_a_cycling_token_stops_the_listing(self):
        before = stats()["list_requests"]
        r = self.gwsync("ls", "-r", "s3://cycle")
        self.assertOneLineError(r, "continuation tokens went round in a cycle")
        self.assertLess(stats()["list_requests"] - before, 10)
        dest = os.path.join(self.tmp, "dest")
        os.makedirs(dest)
        with open(os.path.join(dest, "mine"), "w") as f:
            f.write("kept")
        r = self.gwsync("sync", "--no-index", "--delete", "s3://cycle", dest)
        self.assertEqual(r.code, 1, str(r))
        self.assertIn("went round in a cycle", r.err, str(r))
        self.assertTrue(os.path.exists(os.path.join(dest, "mine")), "deleted on a broken listing")

    # --- answers too large to hold ------------------------------------------

    def test_a_100_mib_listing_is_refused_in_bounded_memory(self):
        for bucket in ("big-list", "big-list-close"):
            with self.subTest(bucket=bucket):
                r = self.gwsync("ls", "-r", f"s3://{bucket}")
                self.assertOneLineError(r, "64 MiB")
                self.assertLess(r.max_rss_kib, 160 * 1024, str(r))

    # --- keys that are not where they should be -------------------------------

    def test_ls_keys_out_of_order(self):
        r = self.gwsync("ls", "-r", "s3://order/p/")
        self.assertOneLineError(r, "out of order")
        self.assertEqual(r.out, "", "a broken page printed nothing")

    def test_ls_key_outside_the_prefix(self):
        r = self.gwsync("ls", "-r", "s3://outside/p/")
        self.assertOneLineError(r, "outside 'p/'")

    # A key outside the prefix must never be deleted because a gateway listed it.
    def test_rm_r_deletes_nothing_outside_the_prefix(self):
        before = stats()["writes"]
        r = self.gwsync("rm", "-r", "s3://outside/p/")
        self.assertOneLineError(r, "outside 'p/'")
        self.assertEqual(stats()["writes"] - before, 0, "a delete was sent")

    # --- objects longer than they say ---------------------------------------

    def test_get_stops_at_the_size_the_gateway_gave(self):
        before = stats()["body_bytes_sent"]
        r = self.gwsync("get", "s3://long-get/obj", "got")
        self.assertOneLineError(r, "more than the 10 bytes expected")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "got")))
        self.assertEqual([n for n in os.listdir(self.tmp) if "gwsync-" in n], [],
                         "a temporary was left behind")
        self.assertLess(stats()["body_bytes_sent"] - before, 64 << 20, "the flood was read on")

    def test_get_to_stdout_stops_at_the_size(self):
        before = stats()["body_bytes_sent"]
        r = self.gwsync("get", "s3://long-get/obj", "-")
        self.assertOneLineError(r, "more than the 10 bytes expected")
        self.assertLessEqual(len(r.out), 10)
        self.assertLess(stats()["body_bytes_sent"] - before, 64 << 20, "the flood was read on")

    def test_an_endless_error_body_is_not_read_on(self):
        before = stats()["body_bytes_sent"]
        r = self.gwsync("get", "s3://endless-error/obj", "got")
        self.assertEqual(r.code, 1, str(r))
        self.assertLess(stats()["body_bytes_sent"] - before, 128 << 20, "the flood was read on")

    def test_sync_stops_at_the_listed_size(self):
        dest = os.path.join(self.tmp, "dest")
        before = stats()["body_bytes_sent"]
        r = self.gwsync("sync", "--no-index", "s3://long-get", dest)
        self.assertEqual(r.code, 1, str(r))
        self.assertIn("more than the 10 bytes expected", r.err, str(r))
        self.assertFalse(os.path.exists(os.path.join(dest, "obj")))
        self.assertLess(stats()["body_bytes_sent"] - before, 64 << 20, "the flood was read on")

    def test_sync_of_10_tb_says_not_enough_space(self):
        dest = os.path.join(self.tmp, "dest")
        r = self.gwsync("sync", "--no-index", "s3://huge", dest)
        self.assertEqual(r.code, 1, str(r))
        self.assertIn("not enough space", r.err, str(r))
        # Nothing of the object; gwsync's own .gwsync/ (the run's manifest) may be there.
        left = [n for n in (os.listdir(dest) if os.path.isdir(dest) else []) if n != ".gwsync"]
        self.assertEqual(left, [])

    def test_a_size_past_64_bits_is_an_error_not_zero(self):
        r = self.gwsync("get", "s3://bad-size/obj", "got")
        self.assertOneLineError(r, "the gateway sent an invalid Content-Range")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "got")))

    def test_a_range_answered_from_another_offset_is_refused(self):
        r = self.gwsync("get", "s3://wrong-range/obj", "-")
        self.assertOneLineError(r, "answered the bytes 10-29 for the range 0-19")
        self.assertEqual(r.out, "", "bytes of the wrong range reached stdout")
        r = self.gwsync("get", "s3://wrong-range/obj", "got")
        self.assertOneLineError(r, "answered the bytes 10-")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "got")))

    def test_get_of_10_tb_says_not_enough_space(self):
        before = stats()["get_requests"]
        r = self.gwsync("get", "s3://huge/big", "big")
        self.assertOneLineError(r, "not enough space")
        self.assertEqual(stats()["get_requests"] - before, 1, "ranges were asked for anyway")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["err", "out"], "something was left behind")

    # --- answers that never end ---------------------------------------------------

    # 2 bytes a second is no stall (the stall timeout wants below 1 byte/s);
    # each attempt has 2 s + 10,000 bytes at the default --min-rate (16 KiB/s):
    # 2.6 s, and the attempts are five.
    def test_get_gives_up_on_a_dripping_gateway(self):
        r = self.gwsync("--timeout", "2", "get", "s3://drip/obj", "got")
        self.assertOneLineError(r, "no complete answer within 2.6 s", "--min-rate")
        self.assertLess(r.seconds, 25, str(r))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "got")))

    def test_sync_gives_up_on_a_dripping_gateway(self):
        dest = os.path.join(self.tmp, "dest")
        r = self.gwsync("--timeout", "2", "sync", "--no-index", "s3://drip", dest)
        self.assertEqual(r.code, 1, str(r))
        self.assertIn("no complete answer within 2.6 s", r.err, str(r))
        self.assertLess(r.seconds, 25, str(r))
        self.assertFalse(os.path.exists(os.path.join(dest, "obj")))

    # --- keys that would drive the terminal ------------------------------------

    def assertNoControlBytes(self, text, r):
        bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
        self.assertEqual(bad, [], f"control bytes reached the terminal: {r}")

    def test_ls_escapes_control_bytes_in_keys(self):
        r = self.gwsync("ls", "-r", "s3://evil-keys")
        self.assertEqual(r.code, 0, str(r))
        self.assertNoControlBytes(r.out, r)
        self.assertEqual(len(r.out.splitlines()), 5, str(r))
        self.assertIn("s3://evil-keys/a-\\x1b]0;pwned\\x07-title", r.out)
        self.assertIn("s3://evil-keys/d-line\\nbreak", r.out)

    def test_errors_escape_control_bytes_in_keys(self):
        r = self.gwsync("get", "s3://evil-keys/b-\x1b[31mred\x1b[0m", "x")
        self.assertOneLineError(r, "b-\\x1b[31mred\\x1b[0m")
        self.assertNoControlBytes(r.err, r)

    def test_sync_error_lines_escape_control_bytes(self):
        r = self.gwsync("sync", "--no-index", "s3://evil-keys", os.path.join(self.tmp, "dest"))
        self.assertEqual(r.code, 1, str(r))
        self.assertNoControlBytes(r.out + r.err, r)
        self.assertIn("a-\\x1b]0;pwned\\x07-title", r.err)

    # --- the process itself -------------------------------------------------------

    def owner_of_proc_while_running(self, *flags):
        """The owner of /proc/PID/environ of a gwsync run by an unprivileged
        user: a process that is not dumpable has its /proc files owned by
        root, so that user's other processes cannot read its memory or
        environment (nor can a core file be written)."""
        cmd = [BIN, "--endpoint", ENDPOINT, *flags, "ls", "s3://stall"]
        uid = os.geteuid()
        if uid == 0:
            uid = 65534  # nobody
            cmd = ["setpriv", f"--reuid={uid}", "--regid=65534", "--clear-groups", *cmd]
        env = dict(ENV, HOME="/nonexistent")  # a HOME that user may not read fails early
        proc = subprocess.Popen(cmd, env=env, cwd="/", stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # parsed the flags, waiting for the listing
            self.assertIsNone(proc.poll(), "gwsync ended early")
            return uid, os.stat(f"/proc/{proc.pid}/environ").st_uid
        finally:
            proc.kill()
            proc.wait()

    def test_not_dumpable_by_default(self):
        uid, owner = self.owner_of_proc_while_running()
        self.assertEqual(owner, 0, "gwsync is dumpable: its memory holds the secret key")

    def test_allow_core_dumps_keeps_it_dumpable(self):
        uid, owner = self.owner_of_proc_while_running("--allow-core-dumps")
        self.assertEqual(owner, uid)

    # --- a local user who changes the source under a running upload ----------

    def user_tree(self, files):
        """A source tree owned by an unprivileged user (nobody, when the test
        runs as root) and a root-only folder of secrets beside it; returns
        (src, secret, run_as) where run_as prefixes that user's commands."""
        src, secret = os.path.join(self.tmp, "src"), os.path.join(self.tmp, "secret")
        os.makedirs(secret, mode=0o700)
        for name, data in files.items():
            path = os.path.join(src, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(data)
            with open(os.path.join(secret, os.path.basename(name)), "w") as f:
                f.write("SECRET " + name)
            os.chmod(os.path.join(secret, os.path.basename(name)), 0o600)
        run_as = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chmod(SCRATCH, 0o711)  # the user reaches its tree, and no more
            os.chmod(self.tmp, 0o711)
            for root, dirs, names in os.walk(src):
                for n in [root] + [os.path.join(root, x) for x in dirs + names]:
                    os.chown(n, nobody.pw_uid, nobody.pw_gid)
            run_as = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                      "--clear-groups"]
        return src, secret, run_as

    def wait_for_puts(self, before, n, proc):
        deadline = time.monotonic() + TIMEOUT
        while stats()["puts"] - before < n:
            self.assertIsNone(proc.poll(), "the upload ended before the swap")
            self.assertLess(time.monotonic(), deadline, "the upload did not start")
            time.sleep(0.01)

    # Issue 25: gwsync as root uploads a user's tree; the user, mid-run,
    # swaps a folder for a link to a root-only folder. Nothing of it may be
    # uploaded: each file behind the link is skipped with a notice.
    def test_a_folder_swapped_for_a_link_under_a_running_upload(self):
        files = {f"sub/f-{i:03d}": f"mine {i}" for i in range(200)}
        src, secret, run_as = self.user_tree(files)
        before = stats()["puts"]
        proc = self.start("sync", "--no-index", "--concurrency", "2", src + "/", "s3://store-race")
        self.wait_for_puts(before, 10, proc)
        # The link made first and the folder swapped for it by two renames in
        # one process: `sub` is missing for microseconds, not for the start
        # of a process (a loaded machine left it missing for the rest of the
        # run, every file then merely gone).
        swap = ("import os, sys; os.chdir(sys.argv[1]); os.symlink(sys.argv[2], 'sub.link'); "
                "os.rename('sub', 'sub.real'); os.rename('sub.link', 'sub')")
        subprocess.run(run_as + [sys.executable, "-c", swap, src, secret], check=True)
        r = self.finish(proc)
        got = stored("store-race")
        leaked = sorted(k for k, v in got.items() if "SECRET" in v)
        self.assertEqual(leaked, [], f"{len(leaked)} objects hold root's secrets: {r}")
        self.assertEqual(r.code, 0, str(r))
        self.assertGreater(len(got), 0, str(r))
        self.assertLess(len(got), 200, f"the swap came too late to test anything: {r}")
        skipped = [k for k in files if k not in got]
        # Notices name the object (s3://bucket/key) and the file: the last
        # ones met the link.
        self.assertIn(f"gwsync: notice: s3://store-race/{skipped[-1]}: '{src}/{skipped[-1]}': a "
                      f"symbolic link on its way, not read through it (changed since it was "
                      f"listed)", r.err, str(r)[:2000])

    def test_a_file_swapped_for_a_fifo_after_the_walk_does_not_block(self):
        files = {f"f-{i:03d}": f"mine {i}" for i in range(20)}
        files["zz-last"] = "becomes a FIFO"
        src, _, run_as = self.user_tree(files)
        before = stats()["puts"]
        proc = self.start("sync", "--no-index", "--concurrency", "1", src + "/", "s3://store-fifo")
        self.wait_for_puts(before, 3, proc)
        fifo = os.path.join(src, "zz-last")
        subprocess.run(run_as + ["sh", "-c", f"rm {fifo} && mkfifo {fifo}"], check=True)
        r = self.finish(proc)  # fails the test if it hangs
        self.assertEqual(r.code, 0, str(r))
        self.assertLess(r.seconds, 15, str(r))
        got = stored("store-fifo")
        self.assertEqual(len(got), 20, str(r))
        self.assertNotIn("zz-last", got)
        self.assertIn(f"gwsync: notice: s3://store-fifo/zz-last: '{fifo}': now a FIFO (changed since it was "
                      f"listed), not read", r.err, str(r))

    # --- modes of what a backup writes ----------------------------------------

    def test_modes_of_what_a_backup_writes_under_umask_022(self):
        for key, mode in (("open", "777"), ("suid", "4777"), ("plain", "640"), ("none", None)):
            store_put("store-modes", key, key.encode(), {"mode": mode} if mode else {})
        dest, log = os.path.join(self.tmp, "backup"), os.path.join(self.tmp, "sync.log")
        r = self.gwsync("sync", "--no-index", "--log-file", log, "s3://store-modes", dest,
                        umask=0o022)
        self.assertEqual(r.code, 0, str(r))

        def mode(*path):
            return oct(os.lstat(os.path.join(*path)).st_mode & 0o7777)

        state = os.path.join(dest, ".gwsync")
        manifests = [n for n in os.listdir(state) if n.startswith("manifest-")]
        self.assertEqual(len(manifests), 2, manifests)  # the run's and manifest-latest
        private = {".gwsync": mode(state), ".gwsync/bucket": mode(state, "bucket"),
                   "log": mode(log)}
        private.update({n: mode(state, n) for n in manifests})
        private.update({f"bucket/{n}": mode(state, "bucket", n)
                        for n in os.listdir(os.path.join(state, "bucket"))})
        self.assertIn("bucket/policy.json", private)
        for name, m in private.items():
            self.assertEqual(m, "0o700" if name.startswith(".gwsync") else "0o600", name)
        # The object's recorded mode, less the umask: a bucket cannot make a
        # file world-writable, nor setuid.
        self.assertEqual({k: mode(dest, k) for k in ("open", "suid", "plain", "none")},
                         {"open": "0o755", "suid": "0o755", "plain": "0o640", "none": "0o644"})

        exact = os.path.join(self.tmp, "exact")
        r = self.gwsync("sync", "--no-index", "--preserve-modes", "s3://store-modes", exact,
                        umask=0o022)
        self.assertEqual(r.code, 0, str(r))
        self.assertEqual((mode(exact, "open"), mode(exact, "suid")), ("0o777", "0o777"))
        special = os.path.join(self.tmp, "special")
        r = self.gwsync("sync", "--no-index", "--preserve-special-bits", "s3://store-modes",
                        special, umask=0o022)
        self.assertEqual(r.code, 0, str(r))
        self.assertEqual(mode(special, "suid"), "0o4777")

    def test_every_bucket_backup_of_a_bucket_listed_twice_and_one_named_like_the_state(self):
        store_put("store-twice", "k", b"once")
        req = urllib.request.Request(f"{ENDPOINT}/_buckets", method="PUT",
                                     data=json.dumps(["store-twice", "store-twice",
                                                      ".gwsync"]).encode())
        urllib.request.urlopen(req, timeout=5).close()
        try:
            dest = os.path.join(self.tmp, "all")
            r = self.gwsync("sync", "--no-index", "s3://", dest)
        finally:
            req = urllib.request.Request(f"{ENDPOINT}/_buckets", method="PUT", data=b"null")
            urllib.request.urlopen(req, timeout=5).close()
        # The state-folder name is refused by name (an error, the rest in:
        # exit 3, partial); the bucket listed twice is synced once and said so.
        self.assertEqual(r.code, 3, str(r))
        # Each named as a user names a bucket.
        self.assertIn("gwsync: s3://.gwsync: a bucket named like gwsync's state folder", r.err)
        self.assertIn("gwsync: notice: s3://store-twice: listed more than once by the gateway: "
                      "synced once\n", r.err)
        self.assertFalse(os.path.exists(os.path.join(dest, ".gwsync", "k")))
        with open(os.path.join(dest, "store-twice", "k"), "rb") as f:
            self.assertEqual(f.read(), b"once")


if __name__ == "__main__":
    unittest.main(verbosity=2)
