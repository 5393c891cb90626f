"""Interrupted backups and restores, against the real RGW:

- after a SIGKILL at half of a 3 x 100 MiB backup, the rerun fetches at most
  60 % of the bytes (the gateway's own get_b counter), and the files are
  byte-exact;
- a partial download of an object that changed since is thrown away, not
  resumed, and the new version lands;
- SIGTERM or SIGINT lets the transfers in flight finish, starts no other,
  and the run says so (exit 143/130, the metrics file, the log); a second
  signal stops at once and keeps the partial downloads, which the next run
  resumes;
- a restore stopped by two SIGTERMs mid-upload sends only the rest on the
  next run (the gateways' put_b counters), the object byte-exact; one
  stopped by Ctrl-C finishes the file in flight, starts no other, and says
  so (130, metrics, log).
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gwtest import gwsync_env, require  # noqa: E402

MiB = 1 << 20


def get_bytes(asok, counter="get_b"):
    out = subprocess.run(["ceph", "--admin-daemon", asok, "perf", "dump"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return json.loads(out)["rgw"][counter]


def put_bytes(asoks):
    """Bytes every gateway took in PUTs (parts included)."""
    return sum(get_bytes(a, "put_b") for a in asoks)


def settled_get_bytes(asok):
    """get_b once it stops moving: the gateway accounts a GET the killed run
    had in flight when it notices the broken connection, which can be after
    the kill."""
    last = get_bytes(asok)
    for _ in range(50):
        time.sleep(0.5)
        now = get_bytes(asok)
        if now == last:
            return now
        last = now
    return last


def temp_files(root):
    return [os.path.join(d, n) for d, _, names in os.walk(root) for n in names
            if n.startswith(".") and ".gwsync-" in n]


def resume_record_parts(record):
    """Bytes on disk per part, from a resume record: "gwsync-resume-2 ETAG
    SIZE PART_SIZE RUNS", each run "N" or "N*COUNT", N a byte count or "f"
    for the whole part."""
    _, _, size, part_size, runs = record.split()
    size, part_size = int(size), int(part_size)
    parts = []
    for run in runs.split(","):
        value, _, count = run.partition("*")
        for _ in range(int(count or 1)):
            whole = min(part_size, size - len(parts) * part_size)
            parts.append(whole if value == "f" else int(value))
    return parts


def on_disk(root):
    """Bytes the partial downloads under root say they hold (their resume
    records), plus the files already complete."""
    total = 0
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            try:
                if ".gwsync-" in n:
                    record = os.getxattr(path, "user.gwsync.resume").decode()
                    total += sum(resume_record_parts(record))
                else:
                    total += os.stat(path).st_size
            except (OSError, IndexError, ValueError):
                pass  # renamed or removed meanwhile
    return total


def md5_of(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ResumeTest(unittest.TestCase):
    def setUp(self):
        self.bin = require("GWSYNC_BIN")
        self.endpoint = require("GWSYNC_TEST_ENDPOINT")
        self.asok = require("GWSYNC_TEST_ASOKS").split()[0]
        self.work = tempfile.mkdtemp(prefix="gwsync-resume-")
        self.env = gwsync_env(self.work)
        self.bucket = f"gwt-resume-{os.getpid()}-{int(time.time() * 1000) % 100000}"
        self.index = os.path.join(self.work, "index")

    def tearDown(self):
        self.gwsync("rb", "--force", f"s3://{self.bucket}")
        shutil.rmtree(self.work, ignore_errors=True)

    def gwsync(self, *args, **kw):
        return subprocess.run([self.bin, "--endpoint", self.endpoint, *args], env=self.env,
                              capture_output=True, text=True, timeout=300, **kw)

    def upload(self, files):
        src = os.path.join(self.work, "src")
        os.makedirs(src, exist_ok=True)
        for name, size in files.items():
            with open(os.path.join(src, name), "wb") as f:
                f.write(os.urandom(size))
        r = self.gwsync("sync", "--no-index", src, f"s3://{self.bucket}")
        self.assertEqual(r.returncode, 0, r.stderr)
        return src

    def start_backup(self, dst, *flags):
        return subprocess.Popen(
            [self.bin, "--endpoint", self.endpoint, "--bwlimit", "30M", "sync", "--index",
             self.index, *flags, f"s3://{self.bucket}", dst],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def interrupt_at(self, proc, dst, at_bytes, sig):
        """Signals the backup once its temporary files hold at_bytes (what
        it wrote, not what the gateway sent: socket buffers hold more)."""
        deadline = time.monotonic() + 120
        while on_disk(dst) < at_bytes:
            self.assertIsNone(proc.poll(), f"the backup ended before it was interrupted "
                                           f"({on_disk(dst)} bytes seen)")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.at_signal = sorted(os.listdir(dst))
        proc.send_signal(sig)
        _, self.last_err = proc.communicate(timeout=60)
        return proc.returncode

    def test_rerun_after_sigkill_fetches_only_what_is_missing(self):
        total = 300 * MiB
        src = self.upload({f"layer{i}.bin": 100 * MiB for i in range(3)})
        dst = os.path.join(self.work, "backup")
        code = self.interrupt_at(self.start_backup(dst), dst, total // 2, signal.SIGKILL)
        self.assertEqual(code, -signal.SIGKILL)
        self.assertTrue(temp_files(dst), "the killed run left no partial file to resume")

        at_kill = get_bytes(self.asok)
        before = settled_get_bytes(self.asok)
        print(f"the gateway accounted {(before - at_kill) / MiB:.0f} MiB after the kill",
              file=sys.stderr)
        r = self.gwsync("sync", "--index", self.index, f"s3://{self.bucket}", dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        fetched = get_bytes(self.asok) - before
        print(f"the rerun fetched {fetched / MiB:.0f} MiB of {total / MiB:.0f}",
              file=sys.stderr)
        self.assertLessEqual(fetched, 0.6 * total, r.stdout + r.stderr)
        for i in range(3):
            name = f"layer{i}.bin"
            self.assertEqual(md5_of(os.path.join(dst, name)), md5_of(os.path.join(src, name)))
        self.assertEqual(temp_files(dst), [])

    def test_partial_of_a_changed_object_is_not_resumed(self):
        self.upload({"blob.bin": 100 * MiB})
        dst = os.path.join(self.work, "backup")
        self.interrupt_at(self.start_backup(dst), dst, 40 * MiB, signal.SIGKILL)
        self.assertTrue(temp_files(dst))
        # The object changes (same size, new bytes) before the rerun.
        src = self.upload({"blob.bin": 100 * MiB})
        r = self.gwsync("sync", "--index", self.index, f"s3://{self.bucket}", dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(md5_of(os.path.join(dst, "blob.bin")),
                         md5_of(os.path.join(src, "blob.bin")))
        self.assertEqual(temp_files(dst), [])

    def run_files(self, dst):
        metrics = os.path.join(self.work, "metrics.prom")
        log = os.path.join(self.work, "sync.log")
        return metrics, log, ["--metrics-file", metrics, "--log-file", log]

    def test_a_signal_lets_what_is_in_flight_finish_and_says_so(self):
        # Five objects, two at a time: a signal lets those in flight finish,
        # starts no other, deletes and manifests nothing, and the run says
        # so in its exit code, metrics and log; the next run fetches only
        # the others.
        n, size = 5, 40 * MiB
        src = self.upload({f"layer{i}.bin": size for i in range(n)})
        for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
            dst = os.path.join(self.work, f"backup-{sig}")
            metrics, log, files = self.run_files(dst)
            proc = self.start_backup(dst, "--concurrency", "2", *files)
            self.interrupt_at(proc, dst, 20 * MiB, sig)
            self.assertEqual(proc.returncode, code, self.last_err)
            self.assertIn(f"gwsync: {signal.Signals(sig).name}: stopping", self.last_err)
            # What was complete or in flight at the signal, and nothing else.
            started = {n.split(".gwsync-")[0].lstrip(".") for n in self.at_signal}
            done = {n for n in os.listdir(dst) if n.startswith("layer")}
            self.assertEqual(done, started, self.last_err)
            self.assertLess(len(done), n)
            for name in done:
                self.assertEqual(md5_of(os.path.join(dst, name)), md5_of(os.path.join(src, name)))
            self.assertEqual(temp_files(dst), [])
            self.assertFalse(os.path.exists(os.path.join(dst, ".gwsync", "manifest-latest")))
            with open(metrics) as f:
                text = f.read()
            name = signal.Signals(sig).name
            self.assertRegex(text, f'gwsync_sync_interrupted\\{{[^}}]*signal="{name}"[^}}]*\\}} 1')
            self.assertRegex(text, r"gwsync_sync_success\{[^}]*\} 0\n")
            with open(log) as f:
                last = f.read().splitlines()[-1]
            self.assertTrue(last.endswith(f": finished, interrupted by {name}, exit code {code}"),
                            last)
            before = settled_get_bytes(self.asok)
            r = self.gwsync("sync", "--index", self.index, f"s3://{self.bucket}", dst)
            self.assertEqual(r.returncode, 0, r.stderr)
            fetched = get_bytes(self.asok) - before
            self.assertLessEqual(fetched, (n - len(done) + 0.5) * size,
                                 f"{fetched / MiB:.0f} MiB fetched again")
            for i in range(n):
                name = f"layer{i}.bin"
                self.assertEqual(md5_of(os.path.join(dst, name)), md5_of(os.path.join(src, name)))

    def test_a_second_signal_stops_at_once_and_keeps_the_partials(self):
        total = 2 * 100 * MiB
        src = self.upload({f"layer{i}.bin": 100 * MiB for i in range(2)})
        dst = os.path.join(self.work, "backup")
        metrics, log, files = self.run_files(dst)
        proc = self.start_backup(dst, *files)
        deadline = time.monotonic() + 120
        while on_disk(dst) < 60 * MiB:
            self.assertIsNone(proc.poll())
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, -signal.SIGTERM)
        self.assertTrue(temp_files(dst), "no partial download was kept")
        with open(metrics) as f:
            self.assertRegex(f.read(), r'gwsync_sync_interrupted\{[^}]*signal="SIGTERM"[^}]*\} 1')
        with open(log) as f:
            self.assertIn("interrupted by SIGTERM (stopped at once), exit code 143",
                          f.read().splitlines()[-1])
        before = settled_get_bytes(self.asok)
        r = self.gwsync("sync", "--index", self.index, f"s3://{self.bucket}", dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        fetched = get_bytes(self.asok) - before
        print(f"the rerun fetched {fetched / MiB:.0f} MiB of {total / MiB:.0f}", file=sys.stderr)
        self.assertLessEqual(fetched, 0.8 * total)
        for i in range(2):
            name = f"layer{i}.bin"
            self.assertEqual(md5_of(os.path.join(dst, name)), md5_of(os.path.join(src, name)))
        self.assertEqual(temp_files(dst), [])

    def wait_for_puts(self, proc, asoks, at_bytes):
        """Until the gateways have taken at_bytes in PUTs (a restore under
        way), the restore still running."""
        deadline = time.monotonic() + 120
        while put_bytes(asoks) < at_bytes:
            self.assertIsNone(proc.poll(), "the restore ended before it was interrupted")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def test_a_restore_stopped_by_signals_resumes_its_upload(self):
        # Mid-restore: SIGTERM, and SIGTERM again to stop at once. The parts
        # sent are in the index's checkpoint; the next run sends the rest.
        total = 120 * MiB
        src = os.path.join(self.work, "restore-src")
        os.makedirs(src)
        with open(os.path.join(src, "dump.bin"), "wb") as f:
            f.write(os.urandom(total))
        asoks = require("GWSYNC_TEST_ASOKS").split()
        dst = f"s3://{self.bucket}/restored"
        before = put_bytes(asoks)
        proc = subprocess.Popen(
            [self.bin, "--endpoint", self.endpoint, "--bwlimit", "10M", "sync", "--index",
             self.index, "--part-size", "8M", src, dst],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.wait_for_puts(proc, asoks, before + 40 * MiB)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, -signal.SIGTERM, err)
        head = subprocess.run([self.bin, "--endpoint", self.endpoint, "ls",
                               f"s3://{self.bucket}/restored/"], env=self.env,
                              capture_output=True, text=True, timeout=60)
        self.assertNotIn("dump.bin", head.stdout, "a stopped upload was completed")

        time.sleep(1)  # the gateway accounts the part in flight at the stop
        before = put_bytes(asoks)
        r = self.gwsync("sync", "--index", self.index, "--part-size", "8M", "--json", src, dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        sent = put_bytes(asoks) - before
        print(f"the rerun sent {sent / MiB:.0f} MiB of {total / MiB:.0f}", file=sys.stderr)
        self.assertLessEqual(sent, 0.8 * total)
        back = os.path.join(self.work, "restore-check")
        self.assertEqual(self.gwsync("sync", dst, back).returncode, 0)
        self.assertEqual(md5_of(os.path.join(back, "dump.bin")),
                         md5_of(os.path.join(src, "dump.bin")))

    def test_a_restore_stopped_by_sigint_finishes_what_is_in_flight_and_says_so(self):
        # Three files, one at a time: Ctrl-C during the first lets the one in
        # flight finish, starts no other, and the run says so (130, metrics,
        # log); the next run sends the others only. (Three, so that a signal
        # the counters report late still leaves a file not started.)
        size, names = 48 * MiB, ("a.bin", "b.bin", "c.bin")
        src = os.path.join(self.work, "restore-src")
        os.makedirs(src)
        for name in names:
            with open(os.path.join(src, name), "wb") as f:
                f.write(os.urandom(size))
        asoks = require("GWSYNC_TEST_ASOKS").split()
        dst = f"s3://{self.bucket}/restored"
        metrics, log, files = self.run_files(src)
        before = put_bytes(asoks)
        proc = subprocess.Popen(
            [self.bin, "--endpoint", self.endpoint, "--bwlimit", "20M", "--concurrency", "1",
             "--multipart-threshold", "8M", "--part-size", "8M",  # put_b grows by parts
             "sync", "--index", self.index, *files, src, dst],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.wait_for_puts(proc, asoks, before + 16 * MiB)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("gwsync: SIGINT: stopping", err)
        listed = self.gwsync("ls", f"s3://{self.bucket}/restored/").stdout
        done = [n for n in names if n in listed]
        self.assertIn("a.bin", done)
        self.assertNotIn("c.bin", done)
        with open(metrics) as f:
            text = f.read()
        self.assertRegex(text, r'gwsync_sync_interrupted\{[^}]*signal="SIGINT"[^}]*\} 1')
        self.assertRegex(text, r"gwsync_sync_success\{[^}]*\} 0\n")
        with open(log) as f:
            self.assertTrue(f.read().splitlines()[-1].endswith(
                ": finished, interrupted by SIGINT, exit code 130"))

        time.sleep(1)
        before = put_bytes(asoks)
        r = self.gwsync("sync", "--index", self.index, "--json", src, dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        sent = put_bytes(asoks) - before
        self.assertLessEqual(sent, (len(names) - len(done) + 0.2) * size,
                             f"{sent / MiB:.0f} MiB sent again")
        back = os.path.join(self.work, "restore-check")
        self.assertEqual(self.gwsync("sync", dst, back).returncode, 0)
        for name in names:
            self.assertEqual(md5_of(os.path.join(back, name)), md5_of(os.path.join(src, name)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
