#!/usr/bin/env python3
"""Measures synthetic_s3.py: list pages/s, small GETs/s, and the cost of a
delimiter listing at the root of a big bucket. Not a test; run by hand:

    python3 tests/support/synthetic_s3_bench.py [--keys 1000000] [--seconds 5]

The clients are plain http.client keep-alive connections in worker processes
(unsigned: the server does not check), so the figures are the server's.
"""

import argparse
import http.client
import multiprocessing
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_keys import BLOB_ROOT, REPO_ROOT  # noqa: E402
from synthetic_s3 import SyntheticS3  # noqa: E402

TOKEN = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")
KEY = re.compile(rb"<Key>([^<]*)</Key>")


def connect(endpoint):
    return http.client.HTTPConnection(urllib.parse.urlsplit(endpoint).netloc, timeout=30)


def get(conn, path, headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    if r.status not in (200, 206):
        raise RuntimeError(f"GET {path}: {r.status} {body[:200]!r}")
    return body


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def list_pages(args):
    """Sequential ListObjectsV2 pages of 1000 url-encoded keys over one
    connection, from start_after on: (pages/s, the first keys seen)."""
    endpoint, bucket, start_after, seconds = args
    conn, token, pages, keys = connect(endpoint), None, 0, []
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        q = "list-type=2&encoding-type=url&max-keys=1000"
        if token:
            q += "&continuation-token=" + urllib.parse.quote(token, safe="")
        elif start_after:
            q += "&start-after=" + urllib.parse.quote(start_after, safe="")
        body = get(conn, f"/{bucket}?{q}")
        pages += 1
        if len(keys) < 20000:
            keys += [k.decode() for k in KEY.findall(body)]
        m = TOKEN.search(body)
        token = m.group(1).decode() if m else None
    return pages / (time.perf_counter() - start), keys


def get_worker(args):
    endpoint, bucket, keys, seconds = args
    conn, done = connect(endpoint), 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        get(conn, f"/{bucket}/" + urllib.parse.quote(keys[done % len(keys)]))
        done += 1
    return done


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--connections", type=int, default=4)
    a = p.parse_args()
    with SyntheticS3(a.keys) as s3:
        rate, keys = list_pages((s3.endpoint, s3.bucket, "", a.seconds))
        print(f"list: {rate:.0f} pages/s of 1000 keys (one connection)")
        with multiprocessing.Pool(2) as pool:
            rates = pool.map(list_pages, [(s3.endpoint, s3.bucket, "", a.seconds),
                                          (s3.endpoint, s3.bucket, REPO_ROOT, a.seconds)])
        print(f"list: {sum(r for r, _ in rates):.0f} pages/s of 1000 keys (two connections)")
        print(f"server RSS after listing: {rss_mib(s3.proc.pid):.0f} MiB")
        jobs = [(s3.endpoint, s3.bucket, keys[i::a.connections], a.seconds)
                for i in range(a.connections)]
        start = time.perf_counter()
        with multiprocessing.Pool(a.connections) as pool:
            done = sum(pool.map(get_worker, jobs))
        print(f"get: {done / (time.perf_counter() - start):.0f} requests/s "
              f"({a.connections} connections, {s3.stats()['bytes_served'] / done:.0f} B average)")
    with SyntheticS3(10_000_000) as s3:
        conn = connect(s3.endpoint)
        start = time.perf_counter()
        body = get(conn, f"/{s3.bucket}?list-type=2&delimiter=/&prefix={BLOB_ROOT}")
        ms = (time.perf_counter() - start) * 1000
        print(f"delimiter listing of 256 blob folders at 10M keys: {ms:.1f} ms "
              f"({body.count(b'<CommonPrefixes>')} prefixes)")


if __name__ == "__main__":
    main()
