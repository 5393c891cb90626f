#!/usr/bin/env python3
"""The multipart machines at S3's 10,000-part limit, end to end, against a
stand-in gateway that keeps no bytes (tests/support/sink_s3.py): a run of
many minutes, so a documented command of its own, not part of the suite.

    GWSYNC_BIN=build/cli/gwsync tests/e2e/big_upload_check.py [--stream-bytes N]
        [--file-bytes N] [--kill-after-parts N]

1. A stream of 10,000 x 5 MiB + 1 byte (52,428,800,001, the default) through
   `put - --part-size 5MiB`: one byte past 10,000 parts of 5 MiB, so it must
   grow its parts (or stop with a clear error): it must never hang. Its peak
   RSS is reported.
2. A 24 GiB file (sparse) synced with 5 MiB parts (4,916 of them), killed
   with SIGKILL after 4,600, then synced again: the rerun resumes from the index's
   checkpoint (thousands of parts already sent) and completes, sending only
   what was missing.

Each step has a deadline; the script prints one line per step and exits
non-zero on any failure.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20


def stats(endpoint):
    with urllib.request.urlopen(endpoint + "/_stats", timeout=10) as r:
        return json.loads(r.read())


def wait(proc, deadline):
    """Waits for `proc`; (exit code, peak RSS KiB); kills it at `deadline`."""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status), usage.ru_maxrss
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return None, 0
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stream-bytes", type=int, default=10000 * 5 * MiB + 1)
    ap.add_argument("--file-bytes", type=int, default=24 << 30)
    ap.add_argument("--kill-after-parts", type=int, default=4600)
    ap.add_argument("--minutes", type=float, default=30, help="deadline of each step")
    ap.add_argument("--only", choices=["stream", "resume"], help="run one of the two")
    args = ap.parse_args()
    gwsync = os.environ.get("GWSYNC_BIN") or sys.exit("GWSYNC_BIN is not set")
    scratch = tempfile.mkdtemp(prefix="gwsync-big-")
    sink = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "support", "sink_s3.py")],
                            stdout=subprocess.PIPE, text=True)
    endpoint = f"http://127.0.0.1:{sink.stdout.readline().split()[1]}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="sink", AWS_SECRET_ACCESS_KEY="sink-secret",
               HOME=scratch)
    base = [gwsync, "--endpoint", endpoint, "--part-size", "5MiB", "--multipart-threshold",
            "5MiB"]
    failed = False

    def report(ok, line):
        nonlocal failed
        failed |= not ok
        print(("ok   " if ok else "FAIL ") + line, flush=True)

    try:
        subprocess.run(base + ["mb", "s3://big"], env=env, check=True, capture_output=True)
        if args.only != "resume":  # 1. The stream.
            start = time.monotonic()
            head = subprocess.Popen(["head", "-c", str(args.stream_bytes), "/dev/zero"],
                                    stdout=subprocess.PIPE)
            put = subprocess.Popen(base + ["put", "-", "s3://big/stream"], env=env,
                                   stdin=head.stdout,
                                   stderr=subprocess.PIPE)
            head.stdout.close()
            code, rss = wait(put, start + args.minutes * 60)
            seconds = time.monotonic() - start
            err = put.stderr.read().decode(errors="replace").strip()
            done = stats(endpoint)["completed"].get("stream", {})
            if code is None:
                report(False, f"stream of {args.stream_bytes} bytes: still running after "
                              f"{seconds:.0f} s (hung?); {stats(endpoint)['part_puts']} parts sent")
            else:
                ok = code == 0 and done.get("size") == args.stream_bytes
                report(ok, f"stream of {args.stream_bytes} bytes: exit {code} in {seconds:.0f} s, "
                           f"{done.get('parts')} parts, {done.get('size')} bytes stored, peak RSS "
                           f"{rss // 1024} MiB ({args.stream_bytes / seconds / MiB:.0f} MiB/s)"
                           + (f"; stderr: {err}" if err else ""))
        if args.only != "stream":  # 2. The resumed file.
            folder = os.path.join(scratch, "tree")
            os.makedirs(folder)
            with open(os.path.join(folder, "big.bin"), "wb") as f:
                f.truncate(args.file_bytes)
            index = os.path.join(scratch, "index")
            sync = base + ["sync", "--no-manifest", "--index", index, folder + "/",
                           "s3://big/files"]
            before = stats(endpoint)["part_puts"]
            start = time.monotonic()
            first = subprocess.Popen(sync, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            while stats(endpoint)["part_puts"] - before < args.kill_after_parts:
                if first.poll() is not None or time.monotonic() > start + args.minutes * 60:
                    break
                time.sleep(0.2)
            first.send_signal(signal.SIGKILL)
            first.wait()
            sent = stats(endpoint)["part_puts"] - before
            rerun = subprocess.Popen(sync, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            code, rss = wait(rerun, time.monotonic() + args.minutes * 60)
            total = stats(endpoint)["part_puts"] - before
            done = stats(endpoint)["completed"].get("files/big.bin", {})
            parts = done.get("parts", 0)
            ok = code == 0 and done.get("size") == args.file_bytes and total - sent < parts
            report(ok, f"file of {args.file_bytes} bytes killed after {sent} parts sent: rerun exit "
                       f"{code}, {total - sent} more parts sent of {parts}, "
                       f"{done.get('size')} bytes stored in {time.monotonic() - start:.0f} s" +
                       ("" if code == 0 else f"; stderr: {rerun.stderr.read().decode()[-500:]}"))
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
