#!/usr/bin/env python3
"""A stand-in S3 gateway that keeps no bytes: it checks and hashes what it is
sent and remembers only sizes and MD5s, so uploads of tens of gigabytes (a
50 GB stream, a 24 GB file killed and resumed) can be checked on a machine
whose memstore RGW could never hold them.

    sink_s3.py [--port 0]

Prints `PORT <n>` on stdout's first line, then serves path-style S3 on
127.0.0.1 until SIGTERM/SIGINT, any Authorization accepted unchecked:
CreateBucket/HeadBucket, ListObjectsV2 (every key in one page), PutObject
(Content-MD5 checked), CreateMultipartUpload, UploadPart (Content-MD5
checked), ListParts (1,000 a page), CompleteMultipartUpload (S3's rules:
parts in order, at least 5 MiB but the last, at most 10,000; the ETag is
the MD5 of the part MD5s, "-N"), AbortMultipartUpload, HeadObject (size,
ETag, x-amz-meta-*). GETs of object bytes are 501.

GET /_stats gives counts as JSON: part_puts, part_bytes, max_part_number,
completed (key -> {size, etag, parts}). Python 3 stdlib only.
"""

import argparse
import base64
import hashlib
import json
import re
import signal
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MIN_PART = 5 << 20
MAX_PARTS = 10000
LOCK = threading.Lock()
BUCKETS = {}   # name -> {key: {"size", "etag", "meta"}}
UPLOADS = {}   # id -> {"bucket", "key", "meta", "parts": {n: (md5hex, size)}}
STATS = {"part_puts": 0, "part_bytes": 0, "max_part_number": 0, "completed": {}}


def xml(body):
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "sink")  # as every S3 reply has one
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message="sink"):
        self.reply(status, xml(f"<Error><Code>{code}</Code><Message>{message}</Message>"
                               f"<RequestId>sink</RequestId></Error>"))

    def read_body(self):
        """Reads the body by its Content-Length in pieces; its MD5 and size."""
        n = int(self.headers.get("Content-Length", "0"))
        md5, left = hashlib.md5(), n
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("body cut short")
            md5.update(chunk)
            left -= len(chunk)
        return md5, n

    def digest_ok(self, md5):
        want = self.headers.get("Content-MD5")
        return want is None or base64.b64decode(want) == md5.digest()

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        parts = url.path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        return bucket, key, query

    def do_HEAD(self):
        bucket, key, _ = self.route()
        with LOCK:
            if bucket not in BUCKETS:
                return self.reply(404)
            if not key:
                return self.reply(200)
            obj = BUCKETS[bucket].get(key)
        if obj is None:
            return self.reply(404)
        self.send_response(200)
        self.send_header("Content-Length", str(obj["size"]))
        self.send_header("ETag", f'"{obj["etag"]}"')
        self.send_header("Last-Modified", "Sun, 06 Dec 2026 00:00:00 GMT")
        for k, v in obj["meta"].items():
            self.send_header(f"x-amz-meta-{k}", v)
        self.end_headers()

    def do_GET(self):
        bucket, key, query = self.route()
        if bucket == "_stats":
            with LOCK:
                return self.reply(200, json.dumps(STATS).encode())
        with LOCK:
            if bucket not in BUCKETS:
                return self.error(404, "NoSuchBucket")
            if "uploadId" in query:
                up = UPLOADS.get(query["uploadId"][0])
                if up is None:
                    return self.error(404, "NoSuchUpload")
                marker = int(query.get("part-number-marker", ["0"])[0] or 0)
                numbers = sorted(n for n in up["parts"] if n > marker)
                page, more = numbers[:1000], len(numbers) > 1000
                body = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>\"{up['parts'][n][0]}\""
                               f"</ETag><Size>{up['parts'][n][1]}</Size></Part>" for n in page)
                nxt = page[-1] if page else marker
                return self.reply(200, xml(
                    f"<ListPartsResult><IsTruncated>{str(more).lower()}</IsTruncated>"
                    f"<NextPartNumberMarker>{nxt}</NextPartNumberMarker>{body}</ListPartsResult>"))
            if not key:  # ListObjectsV2 in one page: prefix, delimiter, start-after
                prefix = query.get("prefix", [""])[0]
                delim = query.get("delimiter", [""])[0]
                after = query.get("start-after", [""])[0]
                body, folders = "", []
                for k, o in sorted(BUCKETS[bucket].items()):
                    if not k.startswith(prefix) or k <= after:
                        continue
                    cut = k.find(delim, len(prefix)) if delim else -1
                    if cut >= 0:
                        folder = k[:cut + len(delim)]
                        if not folders or folders[-1] != folder:
                            folders.append(folder)
                        continue
                    body += (f"<Contents><Key>{k}</Key><Size>{o['size']}</Size><ETag>\""
                             f"{o['etag']}\"</ETag></Contents>")
                body += "".join(f"<CommonPrefixes><Prefix>{f}</Prefix></CommonPrefixes>"
                                for f in folders)
                return self.reply(200, xml(f"<ListBucketResult><IsTruncated>false</IsTruncated>"
                                           f"{body}</ListBucketResult>"))
        return self.error(501, "NotImplemented", "the sink keeps no bytes")

    def do_PUT(self):
        bucket, key, query = self.route()
        if not key:
            md5, _ = self.read_body()
            with LOCK:
                BUCKETS.setdefault(bucket, {})
            return self.reply(200)
        md5, size = self.read_body()
        if not self.digest_ok(md5):
            return self.error(400, "BadDigest")
        with LOCK:
            if bucket not in BUCKETS:
                return self.error(404, "NoSuchBucket")
            if "uploadId" in query:
                up = UPLOADS.get(query["uploadId"][0])
                if up is None:
                    return self.error(404, "NoSuchUpload")
                n = int(query["partNumber"][0])
                if not 1 <= n <= MAX_PARTS:
                    return self.error(400, "InvalidArgument", f"part number {n}")
                up["parts"][n] = (md5.hexdigest(), size)
                STATS["part_puts"] += 1
                STATS["part_bytes"] += size
                STATS["max_part_number"] = max(STATS["max_part_number"], n)
            else:
                BUCKETS[bucket][key] = {"size": size, "etag": md5.hexdigest(), "meta": self.meta()}
        self.reply(200, headers=[("ETag", f'"{md5.hexdigest()}"')])

    def meta(self):
        return {k[len("x-amz-meta-"):].lower(): v for k, v in self.headers.items()
                if k.lower().startswith("x-amz-meta-")}

    def do_POST(self):
        bucket, key, query = self.route()
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode() if n else ""
        with LOCK:
            if bucket not in BUCKETS:
                return self.error(404, "NoSuchBucket")
            if "uploads" in query:
                upload_id = uuid.uuid4().hex
                UPLOADS[upload_id] = {"bucket": bucket, "key": key, "meta": self.meta(),
                                      "parts": {}}
                return self.reply(200, xml(
                    f"<InitiateMultipartUploadResult><UploadId>{upload_id}</UploadId>"
                    f"</InitiateMultipartUploadResult>"))
            up = UPLOADS.get(query.get("uploadId", [""])[0])
            if up is None:
                return self.error(404, "NoSuchUpload")
            asked = [(int(a), b) for a, b in re.findall(
                r"<PartNumber>(\d+)</PartNumber>\s*<ETag>(?:&quot;|\")?([0-9a-f]+)(?:&quot;|\")?</ETag>",
                body)]
            if not asked or len(asked) > MAX_PARTS:
                return self.error(400, "MalformedXML", f"{len(asked)} parts")
            numbers = [a for a, _ in asked]
            if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
                return self.error(400, "InvalidPartOrder")
            digests, size = b"", 0
            for i, (number, etag) in enumerate(asked):
                have = up["parts"].get(number)
                if have is None or have[0] != etag:
                    return self.error(400, "InvalidPart", f"part {number}")
                if i + 1 < len(asked) and have[1] < MIN_PART:
                    return self.error(400, "EntityTooSmall", f"part {number}")
                digests += bytes.fromhex(have[0])
                size += have[1]
            etag = f"{hashlib.md5(digests).hexdigest()}-{len(asked)}"
            BUCKETS[bucket][key] = {"size": size, "etag": etag, "meta": up["meta"]}
            STATS["completed"][key] = {"size": size, "etag": etag, "parts": len(asked)}
            del UPLOADS[query["uploadId"][0]]
        self.reply(200, xml(f"<CompleteMultipartUploadResult><ETag>\"{etag}\"</ETag>"
                            f"</CompleteMultipartUploadResult>"))

    def do_DELETE(self):
        _, _, query = self.route()
        with LOCK:
            UPLOADS.pop(query.get("uploadId", [""])[0], None)
        self.reply(204)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *_: None  # a client killed mid-part is the point
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
