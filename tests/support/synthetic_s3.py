#!/usr/bin/env python3
"""A synthetic S3 server for scale tests: one bucket of N registry-shaped keys
(see synthetic_keys.py), generated on the fly, never held in memory.

    synthetic_s3.py --keys N [--port 0] [--bucket registry] [--list-delay-ms 0] [--host 127.0.0.1]

Prints `PORT <n>` on stdout's first line, then serves on loopback until
SIGTERM/SIGINT. From a test, `with SyntheticS3(keys) as s3:` runs it as a
subprocess (no GIL shared with the test) and gives `.endpoint` and `.stats()`.

Path-style S3, any Authorization accepted unchecked: ListBuckets, HeadBucket,
GetBucketLocation, ListObjectsV2 and V1 (prefix, delimiter, start-after,
continuation-token, marker, max-keys <= 1000, encoding-type=url), GetObject
(Range, If-Match, If-None-Match) and HeadObject. Writes get 501 NotImplemented.
A common prefix at or before start-after / marker is not listed again, so
NextMarker paging with a delimiter never repeats one.

GET /_stats gives counts as JSON: list_requests (counted on arrival, before
--list-delay-ms), get_requests and head_requests (objects),
list_requests_before_first_get, bytes_served (object bytes sent by GETs) and
max_page_keys (the largest KeyCount answered). Python 3.11 stdlib only.

Measured with synthetic_s3_bench.py on the shared 2-core machine (Python
3.11.7, other builds running, clients in other processes): ListObjectsV2
pages of 1000 url-encoded keys, 360-410 pages/s over one keep-alive
connection and ~415/s over two, at 1M and at 10M keys; GetObject of ~2 KiB
over 4 keep-alive connections, 9,500-12,000/s; the 256 blob folders at 10M
keys, 9 ms; server RSS 27 MiB at either size.
"""

import argparse
import base64
import email.utils
import http.client
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_keys import KeySpace  # noqa: E402

MAX_KEYS = 1000
LAST_MODIFIED_ISO = "2024-01-02T03:04:05.000Z"
LAST_MODIFIED_HTTP = "Tue, 02 Jan 2024 03:04:05 GMT"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_DRAINED_BODY = 64 << 20
# Bucket and object subresources: 501 rather than a listing or the object.
SUBRESOURCES = frozenset(
    "accelerate acl analytics attributes cors encryption intelligent-tiering inventory legal-hold "
    "lifecycle logging metrics notification object-lock ownershipControls partNumber policy "
    "policyStatus publicAccessBlock replication requestPayment retention tagging torrent "
    "uploadId uploads versioning versions website".split())
REASONS = {200: "OK", 204: "No Content", 206: "Partial Content", 304: "Not Modified",
           400: "Bad Request", 404: "Not Found", 412: "Precondition Failed",
           416: "Requested Range Not Satisfiable", 501: "Not Implemented"}


def xml_escape(s):
    if "&" in s or "<" in s or ">" in s or '"' in s or "'" in s:
        s = (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
             .replace('"', "&quot;").replace("'", "&apos;"))
    return s


_URL_SAFE = re.compile(r"[-A-Za-z0-9_.~/]*").fullmatch


def url_encode(s):
    # As AWS: a space becomes '+', a '+' %2B, '/' stays. Generated keys are
    # all safe: the check is a third of quote_plus's cost.
    return s if _URL_SAFE(s) else urllib.parse.quote_plus(s, safe="/")


class Stats:
    """Request counts; any thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.data = {"list_requests": 0, "get_requests": 0, "head_requests": 0,
                     "list_requests_before_first_get": None, "bytes_served": 0,
                     "max_page_keys": 0}

    def count_list(self):
        with self.lock:
            self.data["list_requests"] += 1

    def count_get(self):
        with self.lock:
            d = self.data
            d["get_requests"] += 1
            if d["list_requests_before_first_get"] is None:
                d["list_requests_before_first_get"] = d["list_requests"]

    def add(self, name, value):
        with self.lock:
            self.data[name] += value

    def page(self, count):
        with self.lock:
            self.data["max_page_keys"] = max(self.data["max_page_keys"], count)

    def json(self):
        with self.lock:
            return json.dumps(self.data).encode()


class ListPage:
    """The entries of one listing page, in key order."""

    def __init__(self):
        self.contents = []  # (key, hash, size)
        self.prefixes = []
        self.truncated = False
        self.last = None  # the greatest name listed: where the next page starts after


def list_page(space, prefix, delimiter, after, max_keys):
    """Names under prefix greater than after (a common prefix only if greater
    than after), common prefixes rolled up by delimiter."""
    page = ListPage()
    if max_keys == 0:
        return page
    pos = space.lower_bound(prefix)
    if after is not None and after >= prefix:
        pos = space.lower_bound(after + "\0", pos)  # the first key > after
    if delimiter:
        roll_up(space, page, pos, prefix, delimiter, after, max_keys)
        return page
    stop, entry, contents = min(space.n, pos + max_keys), space.entry, page.contents
    for i in range(pos, stop):
        e = entry(i)
        if not e[0].startswith(prefix):
            break
        contents.append(e)
    else:
        page.truncated = stop < space.n and space.key(stop).startswith(prefix)
    if contents:
        page.last = contents[-1][0]
    return page


def roll_up(space, page, pos, prefix, delimiter, after, max_keys):
    """list_page with a delimiter. Each common prefix costs one galloping
    search past its keys, not a scan."""
    n, entry, plen, dlen, count = space.n, space.entry, len(prefix), len(delimiter), 0
    while pos < n:
        e = entry(pos)
        key = e[0]
        if not key.startswith(prefix):
            break
        cut = key.find(delimiter, plen)
        if cut >= 0:
            cp = key[:cut + dlen]
            if after is None or cp > after:
                if count == max_keys:
                    page.truncated = True
                    break
                page.prefixes.append(cp)
                page.last = cp
                count += 1
            pos = space.skip_prefix(pos, cp)
            continue
        if count == max_keys:
            page.truncated = True
            break
        page.contents.append(e)
        page.last = key
        count += 1
        pos += 1


def list_xml(space, bucket, q, v2):
    """The ListBucketResult for query q, or raises ValueError (InvalidArgument)."""
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    try:
        max_keys = min(int(q.get("max-keys", MAX_KEYS)), MAX_KEYS)
    except ValueError:
        raise ValueError("max-keys is not a number") from None
    if max_keys < 0:
        raise ValueError("max-keys is negative")
    url = q.get("encoding-type", "") == "url"
    enc = url_encode if url else xml_escape
    token = q.get("continuation-token") if v2 else None
    if token is not None:
        try:
            after = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
        except ValueError:
            after = ""
        if not after:
            raise ValueError("The continuation token provided is incorrect")
    else:
        after = q.get("start-after" if v2 else "marker") or None
    page = list_page(space, prefix, delimiter, after, max_keys)

    out = [XML_HEAD, f'<ListBucketResult xmlns="{XMLNS}"><Name>{bucket}</Name>'
           f"<Prefix>{enc(prefix)}</Prefix>"]
    count = len(page.contents) + len(page.prefixes)
    if v2:
        if "start-after" in q:
            out.append(f"<StartAfter>{enc(q['start-after'])}</StartAfter>")
        out.append(f"<KeyCount>{count}</KeyCount>")
    else:
        out.append(f"<Marker>{enc(q.get('marker', ''))}</Marker>")
    out.append(f"<MaxKeys>{max_keys}</MaxKeys>")
    if delimiter:
        out.append(f"<Delimiter>{enc(delimiter)}</Delimiter>")
    out.append("<IsTruncated>true</IsTruncated>" if page.truncated
               else "<IsTruncated>false</IsTruncated>")
    if token is not None:
        out.append(f"<ContinuationToken>{xml_escape(token)}</ContinuationToken>")
    if page.truncated:
        if v2:
            nxt = base64.urlsafe_b64encode(page.last.encode()).decode()
            out.append(f"<NextContinuationToken>{nxt}</NextContinuationToken>")
        elif delimiter:  # as AWS: V1 says NextMarker only with a delimiter
            out.append(f"<NextMarker>{enc(page.last)}</NextMarker>")
    etag = space.etag
    for key, h, size in page.contents:
        out.append(f"<Contents><Key>{enc(key)}</Key><LastModified>{LAST_MODIFIED_ISO}"
                   f"</LastModified><ETag>&quot;{etag(h, size)}&quot;</ETag><Size>{size}</Size>"
                   "<StorageClass>STANDARD</StorageClass></Contents>")
    for cp in page.prefixes:
        out.append(f"<CommonPrefixes><Prefix>{enc(cp)}</Prefix></CommonPrefixes>")
    if url:
        out.append("<EncodingType>url</EncodingType>")
    out.append("</ListBucketResult>")
    return "".join(out).encode(), count


def error_xml(code, message, resource, **extra):
    fields = "".join(f"<{k}>{xml_escape(v)}</{k}>" for k, v in extra.items())
    return (f"{XML_HEAD}<Error><Code>{code}</Code><Message>{xml_escape(message)}</Message>"
            f"{fields}<Resource>{xml_escape(resource)}</Resource>"
            "<RequestId>synthetic</RequestId></Error>").encode()


def parse_range(value, size):
    """(first, last) of a single `bytes=` range; None to serve it all; raises
    IndexError when unsatisfiable."""
    unit, _, spec = value.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    a, _, b = spec.strip().partition("-")
    if not (a or b) or (a and not a.isdigit()) or (b and not b.isdigit()):
        return None
    if not a:  # the last b bytes
        if int(b) == 0:
            raise IndexError
        return max(size - int(b), 0), size - 1
    if b and int(b) < int(a):
        return None  # syntactically invalid: ignored, as RFC 9110 says
    if int(a) >= size:
        raise IndexError
    return int(a), min(int(b), size - 1) if b else size - 1


def etag_matches(header, etag):
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or f'"{etag}"' in tags or etag in tags


class Handler(BaseHTTPRequestHandler):
    """One connection's requests, on that connection's thread; the shared
    state (key space, bucket name, counts) is the server's."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=(), length=None, head=False):
        lines = [f"HTTP/1.1 {status} {REASONS[status]}\r\n"
                 f"Content-Length: {len(body) if length is None else length}\r\n"
                 f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
                 "Server: SyntheticS3\r\nx-amz-request-id: synthetic\r\n"]
        lines += [f"{k}: {v}\r\n" for k, v in headers]
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        data = "".join(lines).encode("latin-1")
        self.wfile.write(data if head else data + body)

    def fail(self, status, code, message, head=False, **extra):
        self.reply(status, error_xml(code, message, self.path.partition("?")[0], **extra),
                   [("Content-Type", "application/xml")], head=head)

    def refuse_write(self):
        # Drain the body to keep the connection usable; too big or chunked: close.
        length = self.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) <= MAX_DRAINED_BODY:
            self.rfile.read(int(length))
        elif length is not None or "Transfer-Encoding" in self.headers:
            self.close_connection = True
        self.fail(501, "NotImplemented", "synthetic_s3 is read-only")

    do_PUT = do_POST = do_DELETE = refuse_write

    def do_GET(self):
        self.route(head=False)

    def do_HEAD(self):
        self.route(head=True)

    def route(self, head):
        raw_path, _, query = self.path.partition("?")
        path = urllib.parse.unquote(raw_path)
        srv = self.server
        if path == "/":
            body = (f'{XML_HEAD}<ListAllMyBucketsResult xmlns="{XMLNS}"><Owner><ID>synthetic</ID>'
                    "<DisplayName>synthetic</DisplayName></Owner><Buckets><Bucket><Name>"
                    f"{srv.bucket}</Name><CreationDate>{LAST_MODIFIED_ISO}</CreationDate>"
                    "</Bucket></Buckets></ListAllMyBucketsResult>").encode()
            return self.reply(200, body, [("Content-Type", "application/xml")], head=head)
        if path == "/_stats" and not head:
            return self.reply(200, srv.stats.json(), [("Content-Type", "application/json")])
        bucket, _, key = path[1:].partition("/")
        if bucket != srv.bucket:
            return self.fail(404, "NoSuchBucket", "The specified bucket does not exist",
                             head=head, BucketName=bucket)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        if not SUBRESOURCES.isdisjoint(q):
            return self.fail(501, "NotImplemented", "synthetic_s3 has no such subresource",
                             head=head)
        if key:
            return self.object(key, head)
        if head:
            return self.reply(200, head=True)
        if "location" in q:
            body = f'{XML_HEAD}<LocationConstraint xmlns="{XMLNS}"></LocationConstraint>'.encode()
            return self.reply(200, body, [("Content-Type", "application/xml")])
        srv.stats.count_list()
        if srv.list_delay:
            time.sleep(srv.list_delay)
        try:
            body, count = list_xml(srv.space, srv.bucket, q, q.get("list-type") == "2")
        except ValueError as e:
            return self.fail(400, "InvalidArgument", str(e))
        srv.stats.page(count)
        self.reply(200, body, [("Content-Type", "application/xml")])

    def object(self, key, head):
        space, stats = self.server.space, self.server.stats
        if head:
            stats.add("head_requests", 1)
        else:
            stats.count_get()
        i = space.find(key)
        if i is None:
            return self.fail(404, "NoSuchKey", "The specified key does not exist.",
                             head=head, Key=key, BucketName=self.server.bucket)
        _, h, size = space.entry(i)
        etag = space.etag(h, size)
        headers = [("ETag", f'"{etag}"'), ("Last-Modified", LAST_MODIFIED_HTTP),
                   ("Accept-Ranges", "bytes"), ("Content-Type", "application/octet-stream")]
        if_match = self.headers.get("If-Match")
        if if_match is not None and not etag_matches(if_match, etag):
            return self.fail(412, "PreconditionFailed",
                             "At least one of the pre-conditions you specified did not hold",
                             head=head, Condition="If-Match")
        if_none = self.headers.get("If-None-Match")
        if if_none is not None and etag_matches(if_none, etag):
            return self.reply(304, headers=headers[:2])
        status, first, last = 200, 0, size - 1
        rng = self.headers.get("Range")
        if rng is not None:
            try:
                r = parse_range(rng, size)
            except IndexError:
                return self.fail(416, "InvalidRange", "The requested range is not satisfiable",
                                 head=head, RangeRequested=rng, ActualObjectSize=str(size))
            if r is not None:
                status, (first, last) = 206, r
                headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        if head:
            return self.reply(status, headers=headers, length=last - first + 1, head=True)
        body = space.content(h, size)[first:last + 1]
        stats.add("bytes_served", len(body))
        self.reply(status, body, headers)


class Server(ThreadingHTTPServer):
    """A thread per connection (keep-alive holds it); connections die with the process."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address, keys, bucket, list_delay_ms):
        self.space = KeySpace(keys)
        self.bucket = bucket
        self.stats = Stats()
        self.list_delay = list_delay_ms / 1000
        super().__init__(address, Handler)


def serve(keys, port=0, bucket="registry", list_delay_ms=0, host="127.0.0.1",
          exit_with_stdin=False):
    """Serves until SIGTERM/SIGINT (or, if asked, until stdin closes: the
    parent died); prints `PORT <n>` once listening."""
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"synthetic_s3: {host} is not a loopback address")
    server = Server((host, port), keys, bucket, list_delay_ms)

    def stop(*_):
        raise SystemExit(0)

    # Explicit handlers: a background job inherits SIGINT ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if exit_with_stdin:
        def watch():
            # os.read, not sys.stdin: a thread blocked holding stdin's lock
            # aborts the interpreter's shutdown.
            while os.read(sys.stdin.fileno(), 4096):
                pass
            os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=watch, daemon=True).start()
    try:
        print(f"PORT {server.server_address[1]}", flush=True)
        server.serve_forever()
    finally:
        server.server_close()


class SyntheticS3:
    """The server as a subprocess, for a test: `with SyntheticS3(100_000) as s3:`."""

    def __init__(self, keys, bucket="registry", list_delay_ms=0):
        self.bucket = bucket
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--keys", str(keys), "--port", "0",
             "--bucket", bucket, "--list-delay-ms", str(list_delay_ms), "--exit-with-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.close()
            raise RuntimeError(f"synthetic_s3.py did not print its port (got {line!r})")
        self.port = int(line[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stats(self):
        # http.client, not urllib.request: no proxy from the environment.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/_stats")
            return json.load(conn.getresponse())
        finally:
            conn.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keys", type=int, required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--bucket", default="registry")
    p.add_argument("--list-delay-ms", type=float, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--exit-with-stdin", action="store_true",
                   help="also stop when stdin reaches its end (SyntheticS3 uses it)")
    a = p.parse_args()
    serve(a.keys, a.port, a.bucket, a.list_delay_ms, a.host, a.exit_with_stdin)


if __name__ == "__main__":
    main()
