#!/usr/bin/env python3
# size: one handler per misbehaviour, each a few lines, in one dispatch.
"""A hostile S3 stand-in: a gateway that lies, loops and floods, to test that
gwsync bounds and checks everything a gateway sends.

    hostile_s3.py [--port 0]

Prints `PORT <n>` on stdout's first line, then serves path-style S3 on
127.0.0.1 until SIGTERM/SIGINT, any Authorization accepted unchecked. The
bucket's name picks the misbehaviour:

  loop        ListObjectsV2 pages, each with a new key, all truncated with
              the same NextContinuationToken: a client that trusts the
              token lists forever
  empty-loop  truncated pages holding nothing, each with a new token
  big-list    a ListObjectsV2 answer of --big-mib MiB (default 100, a
              comment in otherwise valid XML), with Content-Length
  big-list-close  the same without Content-Length (ended by closing)
  order       keys out of order ("b" before "a")
  outside     a key outside the prefix asked for
  long-get    lists "obj" of 10 bytes; HEAD says 10; GET answers 206/200
              claiming 10 bytes, then sends zeros until 256 MiB or the
              client goes, ended by closing the connection
  huge        lists "big" of 10 TB; HEAD and ranged GETs claim it too: the
              first range is served (zeros), every later one is 403
  evil-keys   keys with escape sequences and control bytes in them; any
              object GET is 404 NoSuchKey
  stall       a listing answered after 20 s (a process to look at meanwhile)
  endless-error  any object GET is a 403 whose body never ends (until
              256 MiB or the client goes)
  bad-size    lists "obj" of 10 bytes; HEAD and GET give its size as
              99999999999999999999999 (past 64 bits) in Content-Range
  wrong-range lists "obj" of 20 bytes; HEAD says 20; a ranged GET is
              answered with as many bytes from 10 bytes further on, and a
              Content-Range saying so ("bytes 10-29/40" for 0-19)
  drip        lists "obj" of 10,000 bytes; HEAD says so; a GET announces
              them (Content-Length, Content-Range for a range) and sends 2
              bytes a second: never a stall, done after 83 minutes
  endless     a listing that never ends: every page 1,000 new keys in
              order and a new token, always truncated; HEAD bucket says
              X-RGW-Object-Count: 5
  endless-nocount  the same, and HEAD bucket gives no count
  cycle       truncated pages of new keys whose tokens go A, B, A, B ...
  store-*     a bucket that works, held in memory: PUT, GET, HEAD and
              DELETE of objects (x-amz-meta-* kept), ListObjectsV2 and HEAD
              bucket (with its count); GET ?policy answers a policy. Each
              object PUT waits --put-delay seconds (default 0), so a test
              can act while an upload runs. GET /_store/NAME gives its keys
              and contents (latin-1) as JSON.

PUT /_buckets with a JSON list makes ListBuckets answer those names (a
name twice, ".gwsync"); null gives the usual list again.

GET /_stats gives counts as JSON: requests, list_requests, get_requests,
writes (PUT, POST, DELETE: each refused with 403, but in store-*: puts),
body_bytes_sent (object and listing bodies). Python 3 stdlib only.
"""

import argparse
import hashlib
import json
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
TEN_TB = 10 * (1 << 40)
LONG_GET_CAP = 256 << 20
# What the evil-keys bucket lists: an OSC title change, colours, a bell, a
# carriage return that would hide what came before, a newline, a DEL byte.
EVIL_KEYS = ["a-\x1b]0;pwned\x07-title", "b-\x1b[31mred\x1b[0m", "c-\rhidden", "d-line\nbreak",
             "e-del\x7f"]


def xml_text(s):
    """Escapes for XML, with control characters as character references."""
    out = []
    for ch in s:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append(f"&#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.data = {"requests": 0, "list_requests": 0, "get_requests": 0, "head_requests": 0, "writes": 0,
                     "puts": 0, "body_bytes_sent": 0}

    def add(self, name, n=1):
        with self.lock:
            self.data[name] += n

    def json(self):
        with self.lock:
            return json.dumps(self.data).encode()


STATS = Stats()
BIG_MIB = 100
DRIP_SIZE = 10000
PUT_DELAY = 0.0
# The store-* buckets: name -> key -> (bytes, {meta name: value}).
STORE = {}
STORE_LOCK = threading.Lock()
ENDLESS_PAGE = 1000
ROOT_NAMES = None  # what ListBuckets answers, when a test set it (PUT /_buckets)


def contents(key, size):
    return (f"<Contents><Key>{xml_text(key)}</Key><LastModified>2024-01-02T03:04:05.000Z"
            f"</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag>"
            f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>")


def list_result(items, truncated=False, token=None, prefix=""):
    body = (f'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>b</Name><Prefix>{xml_text(prefix)}</Prefix><MaxKeys>1000</MaxKeys>"
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if token is not None:
        body += f"<NextContinuationToken>{token}</NextContinuationToken>"
    body += "".join(items) + "</ListBucketResult>"
    return XML_HEAD + body.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counter = 0
    counter_lock = threading.Lock()

    def log_message(self, *args):
        pass

    def next_count(self):
        with Handler.counter_lock:
            Handler.counter += 1
            return Handler.counter

    def send_body(self, status, body, headers=(), content_type="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "hostile")  # as every S3 reply has one
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            STATS.add("body_bytes_sent", len(body))

    def error(self, status, code, message="hostile"):
        body = (XML_HEAD + f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>hostile</RequestId></Error>".encode())
        self.send_body(status, body)

    def stream(self, status, headers, chunk, total, length_header=True):
        """Sends `total` bytes made of `chunk`; without length_header the
        body is ended by closing the connection."""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if length_header:
            self.send_header("Content-Length", str(total))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = 0
        try:
            while sent < total:
                piece = chunk[: total - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            self.close_connection = True
        finally:
            STATS.add("body_bytes_sent", sent)

    def drip(self, rng, etag):
        """The object, announced whole and sent 2 bytes a second."""
        if self.command == "HEAD":
            self.send_response(200)
            self.send_header("Content-Length", str(DRIP_SIZE))
            self.send_header("ETag", etag[1])
            self.end_headers()
            return
        first, last = 0, DRIP_SIZE - 1
        if rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            first, last = int(a), min(int(b or last), last)
        self.send_response(206 if rng else 200)
        self.send_header("ETag", etag[1])
        self.send_header("Content-Length", str(last - first + 1))
        if rng:
            self.send_header("Content-Range", f"bytes {first}-{last}/{DRIP_SIZE}")
        self.end_headers()
        sent = 0
        try:
            while sent < last - first + 1:
                self.wfile.write(b"\0")
                self.wfile.flush()
                sent += 1
                time.sleep(0.5)
        except OSError:
            self.close_connection = True
        STATS.add("body_bytes_sent", sent)

    def drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def do_PUT(self):
        global ROOT_NAMES
        if self.path == "/_buckets":  # the root listing's names from now on (null: as before)
            n = int(self.headers.get("Content-Length") or 0)
            ROOT_NAMES = json.loads(self.rfile.read(n))
            return self.send_body(200, b"")
        if self.path.startswith("/store-"):
            return self.store_write()
        self.drain()
        STATS.add("requests")
        STATS.add("writes")
        self.error(403, "AccessDenied")

    def do_POST(self):
        self.do_PUT()

    def do_DELETE(self):
        if self.path.startswith("/store-"):
            return self.store_write()
        self.do_PUT()

    # --- store-*: a bucket that works ---------------------------------------

    def store_write(self):
        STATS.add("requests")
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with STORE_LOCK:
            objects = STORE.setdefault(bucket, {})
            if self.command == "DELETE":
                objects.pop(key, None)
        if self.command == "DELETE" or not key:
            return self.send_body(204 if key else 200, b"")
        if self.command != "PUT" or urllib.parse.urlsplit(self.path).query:
            return self.error(501, "NotImplemented", "the store takes single PUTs only")
        time.sleep(PUT_DELAY)
        meta = {k.lower()[len("x-amz-meta-"):]: v for k, v in self.headers.items()
                if k.lower().startswith("x-amz-meta-")}
        with STORE_LOCK:
            STORE[bucket][key] = (body, meta)
        STATS.add("puts")
        return self.send_body(200, b"", [("ETag", f'"{hashlib.md5(body).hexdigest()}"')])

    def store_read(self, bucket, key, query):
        with STORE_LOCK:
            objects = dict(STORE.get(bucket, {}))
        if not key:
            if self.command == "HEAD":
                return self.send_body(200, b"", [("X-RGW-Object-Count", str(len(objects)))])
            if "policy" in query:
                policy = json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
                     "Resource": [f"arn:aws:s3:::{bucket}/*"]}]})
                return self.send_body(200, policy.encode(), content_type="application/json")
            if any(q in query for q in ("versioning", "acl", "cors", "lifecycle", "tagging",
                                        "object-lock", "location", "uploads")):
                return self.error(404, "NoSuchConfiguration", "none")
            STATS.add("list_requests")
            return self.store_list(objects, query)
        STATS.add("head_requests" if self.command == "HEAD" else "get_requests")
        if key not in objects:
            return self.error(404, "NoSuchKey", "The specified key does not exist.")
        body, meta = objects[key]
        headers = [("ETag", f'"{hashlib.md5(body).hexdigest()}"'),
                   ("Last-Modified", "Tue, 02 Jan 2024 03:04:05 GMT")]
        headers += [(f"x-amz-meta-{k}", v) for k, v in meta.items()]
        return self.send_body(200, body, headers, "application/octet-stream")

    def store_list(self, objects, query):
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
        token = query.get("continuation-token", [""])[0]
        after = bytes.fromhex(token).decode() if token else query.get("start-after", [""])[0]
        max_keys = int(query.get("max-keys", ["1000"])[0])
        items, folders, last, truncated = [], [], None, False
        for key in sorted(objects):
            if not key.startswith(prefix) or (after and key <= after):
                continue
            if len(items) + len(folders) >= max_keys:
                truncated = True
                break
            cut = key.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                folder = key[:cut + len(delimiter)]
                if folders and folders[-1] == folder:
                    continue
                if after and after.startswith(folder):
                    continue
                folders.append(folder)
                last = folder + "\U0010ffff"  # past every key under it
                continue
            body = objects[key][0]
            items.append(f"<Contents><Key>{xml_text(key)}</Key><LastModified>"
                         f"2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;"
                         f"{hashlib.md5(body).hexdigest()}&quot;</ETag><Size>{len(body)}</Size>"
                         f"<StorageClass>STANDARD</StorageClass></Contents>")
            last = key
        items += [f"<CommonPrefixes><Prefix>{xml_text(f)}</Prefix></CommonPrefixes>"
                  for f in folders]
        token = last.encode().hex() if truncated else None
        return self.send_body(200, list_result(items, truncated, token, prefix))

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_stats":
            return self.send_body(200, STATS.json(), content_type="application/json")
        if url.path.startswith("/_store/"):
            with STORE_LOCK:
                objects = STORE.get(url.path[len("/_store/"):], {})
                dump = {k: v[0].decode("latin-1") for k, v in objects.items()}
            return self.send_body(200, json.dumps(dump).encode(), content_type="application/json")
        STATS.add("requests")
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        parts = url.path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        if bucket.startswith("store-"):
            return self.store_read(bucket, key, query)
        if not bucket:
            names = ROOT_NAMES if ROOT_NAMES is not None else ["loop", "empty-loop", "big-list", "big-list-close", "order", "outside",
                     "long-get", "huge", "evil-keys", "stall", "bad-size", "endless-error",
                     "drip"]
            items = "".join(f"<Bucket><Name>{n}</Name><CreationDate>2024-01-02T03:04:05.000Z"
                            f"</CreationDate></Bucket>" for n in names)
            return self.send_body(200, XML_HEAD + (
                f"<ListAllMyBucketsResult><Owner><ID>h</ID></Owner><Buckets>{items}</Buckets>"
                f"</ListAllMyBucketsResult>").encode())
        if not key:
            if self.command == "HEAD" and bucket == "endless":
                return self.send_body(200, b"", [("X-RGW-Object-Count", "5")])
            if self.command == "HEAD" or "location" in query:
                return self.send_body(200, XML_HEAD + b"<LocationConstraint/>")
            if "uploads" in query:
                return self.send_body(200, XML_HEAD + (
                    b"<ListMultipartUploadsResult><Bucket>b</Bucket>"
                    b"<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"))
            STATS.add("list_requests")
            return self.listing(bucket, query.get("prefix", [""])[0],
                                query.get("continuation-token", [""])[0])
        STATS.add("head_requests" if self.command == "HEAD" else "get_requests")
        return self.object(bucket, key)

    def listing(self, bucket, prefix, token=""):
        n = self.next_count()
        if bucket in ("endless", "endless-nocount"):
            page = int(token[1:]) if token.startswith("t") else 0
            first = page * ENDLESS_PAGE
            keys = [contents(f"{prefix}k-{i:012d}", 1) for i in range(first, first + ENDLESS_PAGE)]
            return self.send_body(200, list_result(keys, True, f"t{page + 1}", prefix))
        if bucket == "cycle":
            return self.send_body(200, list_result([contents(f"{prefix}k-{n:09d}", 1)], True,
                                                   "B" if token == "A" else "A", prefix))
        if bucket == "loop":
            return self.send_body(200, list_result([contents(f"k-{n:09d}", 1)], True, "same"))
        if bucket == "empty-loop":
            return self.send_body(200, list_result([], True, f"t{n}"))
        if bucket in ("big-list", "big-list-close"):
            head = list_result([contents("a", 1)]).replace(b"</ListBucketResult>", b"<!-- ")
            tail = b" --></ListBucketResult>"
            total = BIG_MIB << 20
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            if bucket == "big-list":
                self.send_header("Content-Length", str(total))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            sent = 0
            try:
                self.wfile.write(head)
                sent += len(head)
                pad = b"x" * (1 << 20)
                while sent < total - len(tail):
                    piece = pad[: total - len(tail) - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
                self.wfile.write(tail)
                sent += len(tail)
            except OSError:
                self.close_connection = True
            STATS.add("body_bytes_sent", sent)
            return None
        if bucket == "order":
            return self.send_body(200, list_result([contents(prefix + "b", 1),
                                                    contents(prefix + "a", 1)]))
        if bucket == "outside":
            return self.send_body(200, list_result([contents(prefix + "a", 1),
                                                    contents("zz-elsewhere", 1)], prefix=prefix))
        if bucket in ("long-get", "bad-size"):
            return self.send_body(200, list_result([contents("obj", 10)]))
        if bucket == "wrong-range":
            return self.send_body(200, list_result([contents("obj", 20)]))
        if bucket == "huge":
            return self.send_body(200, list_result([contents("big", TEN_TB)]))
        if bucket == "drip":
            return self.send_body(200, list_result([contents("obj", DRIP_SIZE)]))
        if bucket == "evil-keys":
            return self.send_body(200, list_result([contents(k, 1) for k in EVIL_KEYS]))
        if bucket == "stall":
            time.sleep(20)
            return self.send_body(200, list_result([]))
        return self.error(404, "NoSuchBucket")

    def object(self, bucket, key):
        rng = self.headers.get("Range", "")
        etag = ("ETag", '"0123456789abcdef0123456789abcdef"')
        if bucket == "long-get" and key == "obj":
            if self.command == "HEAD":  # Content-Length 10, no body
                return self.send_body(200, b"\0" * 10, [etag], "application/octet-stream")
            if rng:
                return self.stream(206, [etag, ("Content-Range", "bytes 0-9/10")],
                                   b"\0" * 65536, LONG_GET_CAP, length_header=False)
            return self.stream(200, [etag], b"\0" * 65536, LONG_GET_CAP, length_header=False)
        if bucket == "endless-error":
            if self.command == "HEAD":
                return self.send_body(403, b"")
            return self.stream(403, [("Content-Type", "application/xml")], b" " * 65536,
                               LONG_GET_CAP, length_header=False)
        if bucket == "drip" and key == "obj":
            return self.drip(rng, etag)
        if bucket == "bad-size" and key == "obj":
            return self.send_body(206, b"0123456789", [
                etag, ("Content-Range", "bytes 0-9/99999999999999999999999")],
                "application/octet-stream")
        if bucket == "wrong-range" and key == "obj":
            data = bytes(range(40))
            if self.command == "HEAD":
                return self.send_body(200, data[:20], [etag], "application/octet-stream")
            a, _, b = rng[6:].partition("-") if rng.startswith("bytes=") else ("0", "", "19")
            first, last = int(a) + 10, min(int(b or 19), 19) + 10
            return self.send_body(206, data[first:last + 1], [
                etag, ("Content-Range", f"bytes {first}-{last}/40")], "application/octet-stream")
        if bucket == "huge" and key == "big":
            if self.command == "HEAD":
                self.send_response(200)
                self.send_header("Content-Length", str(TEN_TB))
                self.send_header("ETag", etag[1])
                self.end_headers()
                return None
            first, last = 0, TEN_TB - 1
            if rng.startswith("bytes="):
                a, _, b = rng[6:].partition("-")
                first, last = int(a), min(int(b or TEN_TB - 1), TEN_TB - 1)
            if first > 0 or last - first + 1 > (64 << 20):
                return self.error(403, "AccessDenied", "only the first range is served")
            return self.stream(206, [etag, ("Content-Range", f"bytes {first}-{last}/{TEN_TB}")],
                               b"\0" * 65536, last - first + 1)
        return self.error(404, "NoSuchKey", "The specified key does not exist.")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up on a flood is the point, not an error


def main():
    global BIG_MIB, PUT_DELAY
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--big-mib", type=int, default=100)
    ap.add_argument("--put-delay", type=float, default=0.0)
    args = ap.parse_args()
    BIG_MIB = args.big_mib
    PUT_DELAY = args.put_delay
    server = Server(("127.0.0.1", args.port), Handler)
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
