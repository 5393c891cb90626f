"""The change feed end to end: the real RGW publishing to a real RabbitMQ
(tools/rabbitmq-start.sh, a broker of this test's own, stopped by pid), and
`gwsync feed setup`, `sync --changes`, `feed status` and `feed remove` as a
user runs them. What is checked is what a user sees: the folder's bytes
against the bucket's and against a full listing sync, exit codes, and the
reason printed when the feed is not trusted."""

import hashlib
import json
import operator
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import gwtest  # noqa: E402

TEMPORARY = re.compile(r"(.*/)?\.[^/]+\.gwsync-[A-Za-z0-9]{6}$")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def broker_port():
    """A port with its two neighbours the start script uses (+10000, +20000) free."""
    for _ in range(100):
        p = random.randrange(21000, 30000)
        if all(port_free(x) for x in (p, p + 10000, p + 20000)):
            return p
    raise RuntimeError("no free port for the broker")


class FeedTest(gwtest.GatewayCase, unittest.TestCase):
    TIMEOUT = 180

    def setUp(self):
        super().setUp()
        self.amqp_dir = os.path.join(self.work, "amqp")
        self.port = broker_port()
        self.start_broker()
        self.addCleanup(self.stop_broker)

    def start_broker(self):
        r = subprocess.run([os.path.join(ROOT, "tools", "rabbitmq-start.sh"), "--dir",
                            self.amqp_dir, "--port", str(self.port)],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)

    def stop_broker(self):
        subprocess.run([os.path.join(ROOT, "tools", "rabbitmq-stop.sh"), "--dir", self.amqp_dir],
                       capture_output=True, timeout=60)

    def rabbitmqctl(self, *args):
        env = dict(os.environ, HOME=os.path.join(self.amqp_dir, "home"),
                   ERL_EPMD_PORT=str(self.port + 10000))
        r = subprocess.run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n",
                            f"gwsync-{self.port}@localhost", *args],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def set_up_feed(self, name, objects, topic=None):
        """A bucket holding `objects` and its feed (`feed setup`), removed after the test."""
        self.b = self.bucket(name, objects)
        self.queue = f"gwsync-{name}-{self.stamp}"
        self.broker = f"amqp://127.0.0.1:{self.port}"
        self.names = ["--exchange", self.queue, "--queue", self.queue, "--topic",
                      topic or self.queue]
        self.addCleanup(self.gwsync, "feed", "remove", f"s3://{self.b}", self.broker, *self.names)
        r = self.ok("feed", "setup", f"s3://{self.b}", self.broker, *self.names)
        self.feed = re.search(r"--changes '([^']+)'", r.stdout).group(1)

    def ready(self):
        """Messages ready in the queue, as `feed status` says."""
        r = self.gwsync("feed", "status", f"s3://{self.b}", self.broker, "--queue", self.queue,
                        "--exchange", self.queue)
        m = re.search(r"holds (\d+) messages ready", r.stdout)
        return int(m.group(1)) if m else -1

    def wait_ready(self, n, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.ready() >= n:
                return
            time.sleep(0.5)
        self.fail(f"the queue holds {self.ready()} messages, not {n}, after {timeout} s")

    def sync(self, folder, *extra, changes=True):
        args = ["sync", f"s3://{self.b}", folder, "--delete"]
        if changes:
            args += ["--changes", self.feed]
        return self.gwsync(*args, *extra)

    def bucket_contents(self):
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.b):
            for o in page.get("Contents", []):
                out[o["Key"]] = self.s3.get_object(Bucket=self.b, Key=o["Key"])["Body"].read()
        return out

    def folder_and_bucket(self, folder):
        """Both trees as {key: MD5}."""
        digest = lambda tree: {k: hashlib.md5(v).hexdigest() for k, v in tree.items()}  # noqa: E731
        # A killed run's partial downloads (hidden, marked, kept to resume)
        # are not taken up by a run from the feed, which walks no folder:
        # left to the pipeline (reported to the seam's owner).
        tree = {k: v for k, v in gwtest.read_tree(folder).items()
                if not TEMPORARY.match(k)}
        return digest(tree), digest(self.bucket_contents())

    def assert_folder_is_bucket(self, folder):
        self.assertEqual(*self.folder_and_bucket(folder))

    def test_feed(self):
        data = lambda n, seed: gwtest.data_of(n, seed)  # noqa: E731
        self.b = self.bucket("feed", {"a": data(100, 1), "b": data(200, 2), "dir/c": data(300, 3)})
        self.queue = f"gwsync-test-{self.stamp}"
        self.broker = f"amqp://127.0.0.1:{self.port}"
        self.addCleanup(self.gwsync, "feed", "remove", f"s3://{self.b}", self.broker,
                        "--queue", self.queue, "--exchange", self.queue, "--topic", self.queue)
        r = self.ok("feed", "setup", f"s3://{self.b}", self.broker, "--exchange", self.queue,
                    "--queue", self.queue, "--topic", self.queue)
        self.feed = re.search(r"--changes '([^']+)'", r.stdout).group(1)
        self.assertIn(f"?queue={self.queue}", self.feed)
        backup = os.path.join(self.work, "backup")

        # The first run cannot trust the feed: it lists, and says so.
        r = self.sync(backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("first run with this feed", r.stderr)
        self.assert_folder_is_bucket(backup)

        # RGW 16.2 takes up a new topic's queue within 30 s: wait for it.
        base = self.ready()
        self.s3.put_object(Bucket=self.b, Key="canary", Body=b"x")
        self.wait_ready(base + 1)

        # Changes, overwrites and deletes, some keys twice.
        self.s3.put_object(Bucket=self.b, Key="a", Body=data(111, 11))
        self.s3.put_object(Bucket=self.b, Key="a", Body=data(112, 12))
        self.s3.delete_object(Bucket=self.b, Key="b")
        self.s3.put_object(Bucket=self.b, Key="dir/c", Body=data(333, 13))
        self.s3.put_object(Bucket=self.b, Key="gone", Body=data(10, 14))
        self.s3.delete_object(Bucket=self.b, Key="gone")
        self.s3.put_object(Bucket=self.b, Key="new/d", Body=data(400, 15))
        self.s3.delete_object(Bucket=self.b, Key="canary")
        self.s3.put_object(Bucket=self.b, Key="canary", Body=b"back")
        self.wait_ready(base + 10)
        r = self.sync(backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("full listing", r.stderr)
        self.assert_folder_is_bucket(backup)
        full = os.path.join(self.work, "full")
        self.assertEqual(self.sync(full, changes=False).returncode, 0)
        self.assertEqual(gwtest.read_tree(backup), gwtest.read_tree(full))

        # A consumer killed mid-batch: what it had taken comes again.
        base = self.ready()
        big = {f"big/{i}": data(3 << 20, 20 + i) for i in range(3)}
        for k, v in big.items():
            self.s3.put_object(Bucket=self.b, Key=k, Body=v)
        self.wait_ready(base + 3)
        p = subprocess.Popen([self.bin, "--endpoint", self.endpoint, "--bwlimit", "1M", "sync",
                              f"s3://{self.b}", backup, "--delete", "--changes", self.feed],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2)
        p.kill()
        p.communicate()
        r = self.sync(backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("full listing", r.stderr)
        self.assert_folder_is_bucket(backup)

        # A purged queue has lost the marker: a full listing, and why.
        self.s3.put_object(Bucket=self.b, Key="after-purge", Body=b"p")
        time.sleep(1)
        self.rabbitmqctl("purge_queue", self.queue)
        r = self.sync(backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("the queue has lost messages", r.stderr)
        self.assert_folder_is_bucket(backup)

        # After `feed remove` there is no queue to trust.
        self.ok("feed", "remove", f"s3://{self.b}", self.broker, "--exchange", self.queue,
                "--queue", self.queue, "--topic", self.queue)
        self.s3.put_object(Bucket=self.b, Key="after-remove", Body=b"r")
        r = self.sync(backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"the broker has no queue '{self.queue}'", r.stderr)
        self.assert_folder_is_bucket(backup)

        # A broker that is gone: a full listing, and why.
        self.stop_broker()
        self.s3.put_object(Bucket=self.b, Key="broker-down", Body=b"d")
        r = self.sync(backup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("the broker cannot be reached", r.stderr)
        self.assert_folder_is_bucket(backup)

    def test_topic_named_with_xml_entities(self):
        # RGW's XML answers carry the topic's name escaped ('&' as &amp;).
        topic = f"gwsync&{self.stamp}"
        self.set_up_feed("feedamp", {"a": b"1"}, topic=topic)
        r = self.gwsync("feed", "status", f"s3://{self.b}", self.broker, *self.names)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"topic:        arn:aws:sns:default::{topic}\n", r.stdout)
        self.assertIn(f"endpoint:   {self.broker} (persistent)", r.stdout)
        self.assertIn("notification: 'gwsync-feed': s3:ObjectCreated:*,s3:ObjectRemoved:*",
                      r.stdout)
        self.ok("feed", "remove", f"s3://{self.b}", self.broker, *self.names)
        r = self.gwsync("feed", "status", f"s3://{self.b}", self.broker, *self.names)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("topic:        none", r.stdout)
        self.assertIn("notification: none", r.stdout)

    def test_one_exchange_per_broker(self):
        # RGW sends every topic on a broker through the first one's exchange:
        # a second feed naming another exchange there would never hear a
        # thing, so setup refuses it and names the exchange to use.
        self.set_up_feed("exone", {"a": b"1"})
        first, exchange = self.b, self.queue
        other = self.bucket("extwo", {"b": b"2"})
        names = ["--queue", f"{exchange}-two", "--topic", f"{exchange}-two"]
        self.addCleanup(self.gwsync, "feed", "remove", f"s3://{other}", self.broker,
                        "--exchange", exchange, *names)
        r = self.gwsync("feed", "setup", f"s3://{other}", self.broker,
                        "--exchange", f"{exchange}-two", *names)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"already sends to exchange '{exchange}'", r.stderr)
        self.assertIn(f"--exchange {exchange}", r.stderr)
        self.ok("feed", "setup", f"s3://{other}", self.broker, "--exchange", exchange, *names)
        self.assertEqual(self.b, first)

    def metrics(self, path):
        """The samples of a metrics file: {(name, action or signal label): value}."""
        out = {}
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            m = re.match(r'(\w+)\{([^}]*)\} (\S+)$', line)
            if m:
                label = re.search(r'(?:action|signal)="([^"]*)"', m.group(2))
                out[(m.group(1), label.group(1) if label else "")] = float(m.group(3))
        return out

    def wait_for(self, what, check, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if check():
                    return
            except OSError:  # a file renamed into place while the folder was read
                pass
            time.sleep(0.3)
        self.fail(f"{what}: not after {timeout} s")

    def test_follow(self):
        data = lambda n, seed: gwtest.data_of(n, seed)  # noqa: E731
        self.set_up_feed("follow", {"a": data(100, 1), "b": data(200, 2)})
        backup = os.path.join(self.work, "backup")
        metrics = os.path.join(self.work, "follow.prom")
        self.assertEqual(self.sync(backup).returncode, 0)  # the first run lists
        # RGW 16.2 takes up a new topic's queue within 30 s: wait for it.
        base = self.ready()
        self.s3.put_object(Bucket=self.b, Key="canary", Body=b"x")
        self.wait_ready(base + 1)

        # One object at a time at 2 MB/s: a stop lands in the middle of a batch.
        p = subprocess.Popen([self.bin, "--endpoint", self.endpoint, "--concurrency", "1",
                              "--bwlimit", "2M", "sync", f"s3://{self.b}", backup, "--delete",
                              "--changes", self.feed, "--follow", "--metrics-file", metrics],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        downloads = lambda: self.metrics(metrics).get(("gwsync_sync_objects", "download"), 0)  # noqa: E731,E501
        # The metrics are there while it runs, not only once it stops.
        self.wait_for("the canary in the folder",
                      lambda: os.path.exists(os.path.join(backup, "canary")))
        self.wait_for("the canary in the metrics", lambda: downloads() >= 1)
        self.assertIsNone(p.poll())

        # Changes arrive in the folder, byte for byte, while it follows.
        self.s3.put_object(Bucket=self.b, Key="a", Body=data(111, 11))
        self.s3.delete_object(Bucket=self.b, Key="b")
        self.s3.put_object(Bucket=self.b, Key="dir/c", Body=data(300, 3))
        self.wait_for("the changes in the folder",
                      lambda: operator.eq(*self.folder_and_bucket(backup)))
        self.wait_for("the changes in the metrics", lambda: downloads() >= 3)
        m = self.metrics(metrics)
        self.assertEqual(m[("gwsync_sync_success", "")], 1)
        self.assertEqual(m[("gwsync_sync_objects", "delete")], 1)
        self.assertEqual(m[("gwsync_sync_interrupted", "")], 0)
        self.assertIsNone(p.poll())

        # SIGTERM in the middle of a batch: what it did not commit comes again.
        before = downloads()
        big = {f"big/{i}": data(2 << 20, 20 + i) for i in range(6)}
        for k, v in big.items():
            self.s3.put_object(Bucket=self.b, Key=k, Body=v)
        self.wait_for("the first large object in the folder",
                      lambda: os.path.exists(os.path.join(backup, "big", "0")) or
                      os.path.exists(os.path.join(backup, "big", "1")), timeout=90)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, err)
        m = self.metrics(metrics)
        self.assertEqual(m[("gwsync_sync_interrupted", "SIGTERM")], 1)
        self.assertEqual(m[("gwsync_sync_exit_code", "")], 128 + signal.SIGTERM)
        followed = downloads() - before
        self.assertLess(followed, len(big), "the stop landed after the batch: nothing to test")

        # The next run applies the rest, each key once, and lists nothing.
        after = os.path.join(self.work, "after.prom")
        r = self.sync(backup, "--metrics-file", after)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("full listing", r.stderr)
        self.assert_folder_is_bucket(backup)
        rest = self.metrics(after).get(("gwsync_sync_objects", "download"), 0)
        self.assertEqual(followed + rest, len(big), (followed, rest, r.stdout))

    def follower(self, backup, metrics, *extra):
        """`sync --changes --follow` running in the background, killed after the test."""
        p = subprocess.Popen([self.bin, "--endpoint", self.endpoint, "sync", f"s3://{self.b}",
                              backup, "--delete", "--changes", self.feed, "--follow",
                              "--metrics-file", metrics, *extra],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def wait_last_success(self, metrics, times, timeout=60):
        """Waits until the metrics file's last success moved on `times` times
        from the first value seen."""
        seen = []

        def moved_on():
            t = self.metrics(metrics).get(("gwsync_sync_last_success_timestamp_seconds", ""), 0)
            if t and (not seen or t != seen[-1]):
                seen.append(t)
            return len(seen) > times
        self.wait_for(f"the last success moving on {times} times", moved_on, timeout=timeout)
        self.assertEqual(seen, sorted(seen))

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, err)
        return err

    def test_heartbeat(self):
        # Nothing changes in the bucket: the follower proves the feed all the
        # same (its marker comes back through the queue), and each proof moves
        # the metrics file's last success on, so no staleness alert fires.
        self.set_up_feed("heartbeat", {"a": b"1"})
        backup = os.path.join(self.work, "backup")
        metrics = os.path.join(self.work, "heartbeat.prom")
        self.assertEqual(self.sync(backup).returncode, 0)  # the first run lists
        p = self.follower(backup, metrics, "--heartbeat-every", "2s")
        self.wait_last_success(metrics, 2)  # after the catch-up's
        self.assertIsNone(p.poll())
        m = self.metrics(metrics)
        self.assertEqual(m[("gwsync_sync_success", "")], 1)
        self.assertEqual(m[("gwsync_sync_errors", "")], 0)
        err = self.stop(p)
        self.assertNotIn("full listing", err)

    def test_reconcile_while_following(self):
        # A full listing that comes due while following is made once, then
        # its own marker commits it: the follower goes on following.
        self.set_up_feed("reconcile", {"a": b"1"})
        backup = os.path.join(self.work, "backup")
        metrics = os.path.join(self.work, "reconcile.prom")
        self.assertEqual(self.sync(backup).returncode, 0)  # the first run lists
        started = time.time()
        p = self.follower(backup, metrics, "--heartbeat-every", "1s", "--reconcile-every", "3s")
        self.wait_last_success(metrics, 2)
        time.sleep(7)  # a listing or two come due while it follows
        self.wait_last_success(metrics, 2)  # ... and are committed
        self.assertIsNone(p.poll())
        err = self.stop(p)
        listings = len(re.findall(r"^gwsync: notice: change feed: a full listing instead of the "
                                  r"feed: a full listing is due", err, re.M))
        self.assertGreaterEqual(listings, 2, err)
        self.assertLessEqual(listings, 1 + (time.time() - started) / 3, err)  # one every 3 s

    def test_changes_that_keep_failing(self):
        # Changes that fail each time they are taken (the gateway refuses
        # their GETs) go back to the head of the queue. Once more of them
        # failed in a row than the broker sends ahead (--feed-batch 1: 17),
        # only they can come: a nightly run ends with an error rather than
        # take them again for ever, a follower takes them again after 1 s, 2 s,
        # 4 s ..., and both leave them queued until they go through.
        self.set_up_feed("stall", {"a": b"1"})
        backup = os.path.join(self.work, "backup")
        self.assertEqual(self.sync(backup).returncode, 0)  # the first run lists
        base = self.ready()
        self.s3.put_bucket_policy(Bucket=self.b, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{self.b}/x/*"}]}))
        for i in range(20):
            self.s3.put_object(Bucket=self.b, Key=f"x/{i:02}", Body=b"x")
        self.s3.put_object(Bucket=self.b, Key="z", Body=b"z")
        self.wait_ready(base + 21)
        # All in one batch: z goes through, the rest stays queued, and the
        # counters (which cannot add up while they do) ask for no full
        # listing, which would fail them again, and list again next time.
        r = self.sync(backup)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertNotIn("full listing", r.stderr)
        self.assertIn("gwsync: 20 objects failed", r.stderr)
        self.assertEqual(gwtest.read_tree(backup), {"a": b"1", "z": b"z"})
        # One at a time: 18 failed in a row, one more than the broker sends
        # ahead, and the run ends rather than go round.
        r = subprocess.run([self.bin, "--endpoint", self.endpoint, "sync", f"s3://{self.b}",
                            backup, "--delete", "--changes", self.feed, "--feed-batch", "1"],
                           env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("change feed: the last 18 changes taken all failed, and the queue gives "
                      "them back first: they, and what is queued behind them, stay queued for "
                      "the next run", r.stderr)
        self.assertGreaterEqual(self.ready(), 20)

        metrics = os.path.join(self.work, "stall.prom")
        p = self.follower(backup, metrics, "--feed-batch", "1", "--heartbeat-every", "2s")
        time.sleep(20)
        self.assertIsNone(p.poll(), p.poll() is not None and p.communicate())
        m = self.metrics(metrics)
        # Not proven while they fail: no last success.
        self.assertEqual(m.get(("gwsync_sync_last_success_timestamp_seconds", ""), 0), 0, m)
        # Rounds of 18 taken at once, then after 1, 2, 4 and 8 s: at most
        # six rounds in 20 s, not as fast as the queue gives them back.
        self.assertGreaterEqual(m.get(("gwsync_sync_errors", ""), 0), 2 * 18, m)
        self.assertLessEqual(m.get(("gwsync_sync_errors", ""), 0), 6 * 18, m)
        self.s3.delete_bucket_policy(Bucket=self.b)
        self.wait_for("the changes in the folder",
                      lambda: operator.eq(*self.folder_and_bucket(backup)), timeout=90)
        self.wait_last_success(metrics, 0)  # proven once they went through
        err = self.stop(p)
        for wait in (1, 2, 4):
            self.assertIn("change feed: the last 18 changes taken all failed, and the queue gives "
                          f"them back first: taking them again in {wait} s", err)

class FeedFlagsTest(gwtest.GatewayCase, unittest.TestCase):
    def test_heartbeat_needs_follow(self):
        # Only a follower sends heartbeats: elsewhere the flag is a usage error.
        r = self.gwsync("sync", "s3://bucket", os.path.join(self.work, "dir"), "--changes",
                        "amqp://127.0.0.1:1/?queue=q", "--heartbeat-every", "2s")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "gwsync: --heartbeat-every needs --follow\n")

    def test_durations_below_a_second(self):
        # 0.5s would count as 0 (never): refused, not taken as never.
        r = self.gwsync("sync", "s3://bucket", os.path.join(self.work, "dir"), "--changes",
                        "amqp://127.0.0.1:1/?queue=q", "--follow", "--heartbeat-every", "0.5s")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "gwsync: '0.5s' is less than a second: durations here count "
                         "whole seconds (0 means never)\n")

    def test_feed_batch_needs_changes(self):
        r = self.gwsync("sync", "s3://bucket", os.path.join(self.work, "dir"), "--feed-batch", "5")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "gwsync: --feed-batch needs --changes FEED\n")

    def test_follower_without_broker(self):
        # No broker: the follower lists the bucket in place of the feed, then
        # cannot follow. It ends with an error so that its service starts it
        # again; a nightly run is done with the listing (test_feed).
        b = self.bucket("nobroker", {"a": b"1", "d/b": b"22"})
        backup = os.path.join(self.work, "backup")
        r = self.gwsync("sync", f"s3://{b}", backup, "--changes",
                        f"amqp://127.0.0.1:{gwtest.free_port()}/?queue=q", "--follow")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("change feed: cannot follow it: the broker cannot be reached", r.stderr)
        self.assertEqual(gwtest.read_tree(backup), {"a": b"1", "d/b": b"22"})


if __name__ == "__main__":
    unittest.main()
