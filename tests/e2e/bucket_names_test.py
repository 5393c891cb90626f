#!/usr/bin/env python3
"""`gwsync sync s3:// DIR` against a gateway that lists buckets named "." and
"..": RGW will not create them, so a stand-in (an in-process HTTP server on a
free loopback port) answers ListBuckets with them beside real names. Each is
refused by name; nothing is written outside DIR, also not through a link
DIR/BUCKET -> elsewhere. Needs no Ceph: reads only GWSYNC_BIN.
"""

import hashlib

import http.server
import os
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from gwtest import clean_env, require  # noqa: E402

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
BUCKETS = [".", "..", "good", "linked"]
DATA = b"data"
ETAG = hashlib.md5(DATA).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.reply(200)

    def object(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.send_header("ETag", f'"{ETAG}"')
        self.send_header("Last-Modified", "Sun, 30 Aug 2015 12:36:00 GMT")
        self.end_headers()
        self.wfile.write(DATA)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/":
            items = "".join(f"<Bucket><Name>{b}</Name><CreationDate>2026-01-01T00:00:00.000Z"
                            "</CreationDate></Bucket>" for b in BUCKETS)
            body = (f'<ListAllMyBucketsResult xmlns="{XMLNS}"><Owner><ID>x</ID></Owner>'
                    f"<Buckets>{items}</Buckets></ListAllMyBucketsResult>")
        elif path.count("/") > 1:
            return self.object()
        else:
            bucket = path[1:].split("/")[0]
            body = (f'<ListBucketResult xmlns="{XMLNS}"><Name>{bucket}</Name>'
                    "<KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>"
                    f"<Contents><Key>k</Key><Size>{len(DATA)}</Size><ETag>&quot;{ETAG}&quot;</ETag>"
                    "<LastModified>2015-08-30T12:36:00.000Z</LastModified></Contents>"
                    "</ListBucketResult>")
        self.reply(200, body.encode())


class BucketNamesTest(unittest.TestCase):
    def test_dot_buckets_are_refused_by_name(self):
        binary = require("GWSYNC_BIN")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                parent = os.path.join(tmp, "parent")
                dest = os.path.join(parent, "backup")
                os.makedirs(dest)
                elsewhere = os.path.join(tmp, "elsewhere")
                os.makedirs(elsewhere)
                os.symlink(elsewhere, os.path.join(dest, "linked"))
                env = clean_env(tmp)
                env.update(AWS_ACCESS_KEY_ID="AK", AWS_SECRET_ACCESS_KEY="SK")
                r = subprocess.run(
                    [binary, "--endpoint", f"http://127.0.0.1:{server.server_address[1]}",
                     "sync", "s3://", dest, "--no-index"],
                    env=env, capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 3, r)  # partial: the good bucket is in
                self.assertIn("gwsync: s3://.: not a valid bucket name", r.stderr)
                self.assertIn("gwsync: s3://..: not a valid bucket name", r.stderr)
                self.assertIn("gwsync: s3://linked: '" + dest + "/linked' is a symbolic link",
                              r.stderr)
                self.assertEqual(sorted(os.listdir(parent)), ["backup"])
                self.assertEqual(sorted(os.listdir(dest)), ["good", "linked"])
                self.assertEqual(sorted(n for n in os.listdir(os.path.join(dest, "good"))
                                if n != ".gwsync"), ["k"])
                self.assertEqual(os.listdir(elsewhere), [])
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    unittest.main()
