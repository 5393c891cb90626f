#!/usr/bin/env python3
"""synthetic_s3.py through boto3, as a sync client sees it: listings (V2 and
V1, paged, with prefix, delimiter, start-after, marker) equal a key list built
independently of the server's search, objects match their listed size and
ETag, Range and If-Match behave as S3's do, and /_stats counts requests.
No gateway needed.
"""

import hashlib
import http.client
import os
import sys
import time
import unittest
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_keys import BLOB_ROOT, LINK_SIZE, REPO_ROOT, KeySpace  # noqa: E402
from synthetic_s3 import SyntheticS3  # noqa: E402

N = 20_000
BUCKET = "registry"


def client(endpoint, signature_version="s3v4"):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="synthetic", aws_secret_access_key="anything",
        config=Config(signature_version=signature_version, s3={"addressing_style": "path"},
                      retries={"total_max_attempts": 1}))


def expected_objects(n):
    """{key: size} built from the blob and repo pieces: no key(i), no search."""
    space = KeySpace(n)
    objects = {}
    for b in range(space.blobs):
        h, size = space.blob_hash(b)
        objects[f"{BLOB_ROOT}{h[:2]}/{h}/data"] = size
    for r, repo in enumerate(space.repos):
        for j in range(space.repo_start[r + 1] - space.repo_start[r]):
            h = space.blob_hash(space.link_blob(r, j))[0]
            objects[f"{REPO_ROOT}{repo}/_layers/sha256/{h}/link"] = LINK_SIZE
    return objects


def group(keys, prefix, delimiter):
    """(keys, common prefixes) of a delimiter listing, from a full sorted listing."""
    plain, prefixes = [], []
    for k in keys:
        if not k.startswith(prefix):
            continue
        cut = k.find(delimiter, len(prefix))
        if cut < 0:
            plain.append(k)
        elif not prefixes or prefixes[-1] != k[:cut + len(delimiter)]:
            prefixes.append(k[:cut + len(delimiter)])
    return plain, prefixes


def list_all(s3, v1=False, page_size=1000, sizes=None, **kw):
    """Every key and common prefix in listing order, and the pages' key
    counts; sizes, a dict, gets each key's size."""
    op = "list_objects" if v1 else "list_objects_v2"
    keys, prefixes, counts = [], [], []
    pages = s3.get_paginator(op).paginate(Bucket=BUCKET, PaginationConfig={"PageSize": page_size},
                                          **kw)
    for page in pages:
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        counts.append(len(page.get("Contents", [])) + len(page.get("CommonPrefixes", [])))
        if sizes is not None:
            sizes.update((o["Key"], o["Size"]) for o in page.get("Contents", []))
    return keys, prefixes, counts


def setUpModule():
    global SERVER, S3, OBJECTS, KEYS
    os.environ["NO_PROXY"] = "127.0.0.1"
    SERVER = SyntheticS3(N)
    S3 = client(SERVER.endpoint)
    OBJECTS = expected_objects(N)
    KEYS = sorted(OBJECTS)


def tearDownModule():
    SERVER.close()


class KeySpaceShape(unittest.TestCase):
    def test_registry_shaped(self):
        self.assertEqual(len(KEYS), N)
        blobs = [k for k in KEYS if k.startswith(BLOB_ROOT)]
        self.assertEqual(len(blobs), N // 2)
        for k in blobs:
            parts = k[len(BLOB_ROOT):].split("/")
            self.assertEqual(len(parts), 3, k)
            self.assertEqual(parts[0], parts[1][:2], k)
            self.assertEqual(len(parts[1]), 64, k)
        folders = {k[len(BLOB_ROOT):][:2] for k in blobs}
        self.assertEqual(len(folders), 256)
        repos = {k[len(REPO_ROOT):k.index("/_layers/")] for k in KEYS if k.startswith(REPO_ROOT)}
        self.assertGreaterEqual(len(repos), 200)

    def test_key_of_index_is_increasing(self):
        space = KeySpace(N)
        self.assertEqual([space.key(i) for i in range(N)], KEYS)


class Listing(unittest.TestCase):
    def test_full_v2_listing_equals_expected(self):
        sizes = {}
        keys, prefixes, counts = list_all(S3, sizes=sizes)
        self.assertEqual(keys, KEYS)
        self.assertTrue(all(a < b for a, b in zip(keys, keys[1:])))
        self.assertEqual(prefixes, [])
        self.assertEqual(counts, [1000] * (N // 1000))
        self.assertEqual(sizes, OBJECTS)

    def test_max_keys_capped_at_1000(self):
        page = S3.list_objects_v2(Bucket=BUCKET, MaxKeys=5000)
        self.assertEqual(page["KeyCount"], 1000)
        self.assertEqual(page["MaxKeys"], 1000)
        self.assertTrue(page["IsTruncated"])

    def test_delimiter_at_several_levels(self):
        repo = KEYS[-1][len(REPO_ROOT):KEYS[-1].index("/_layers/")]
        org = repo.split("/")[0]
        hash_folder = KEYS[123][:KEYS[123].rindex("/") + 1]
        cases = [("", "/"), ("docker/registry/v2/", "/"), (BLOB_ROOT, "/"),
                 (BLOB_ROOT + "3f/", "/"), (BLOB_ROOT + "a", "/"), (hash_folder, "/"),
                 (REPO_ROOT, "/"), (f"{REPO_ROOT}{org}/", "/"),
                 (f"{REPO_ROOT}{repo}/_layers/sha256/", "/"), (REPO_ROOT, "/_"), ("", "sha256/")]
        for prefix, delimiter in cases:
            want = group(KEYS, prefix, delimiter)
            for v1 in (False, True):
                for page_size in (1000, 7):
                    with self.subTest(prefix=prefix, delimiter=delimiter, v1=v1, page=page_size):
                        keys, prefixes, _ = list_all(S3, v1, page_size, Prefix=prefix,
                                                     Delimiter=delimiter)
                        self.assertEqual((keys, prefixes), want)
                        self.assertTrue(want[0] or want[1])

    def test_prefix_and_start_after(self):
        prefix = BLOB_ROOT + "7"
        under = [k for k in KEYS if k.startswith(prefix)]
        middle = under[len(under) // 2]
        cases = [(middle, under[len(under) // 2 + 1:]),
                 (middle[:-3], under[len(under) // 2:]),  # not a key: starts at the next one
                 ("a", under), ("zzz", [])]
        for start_after, want in cases:
            with self.subTest(start_after=start_after):
                keys, _, _ = list_all(S3, Prefix=prefix, StartAfter=start_after, page_size=100)
                self.assertEqual(keys, want)

    def test_start_after_inside_a_common_prefix_skips_it(self):
        folder = BLOB_ROOT + "80/"
        inside = next(k for k in KEYS if k.startswith(folder))
        _, prefixes, _ = list_all(S3, Prefix=BLOB_ROOT, Delimiter="/", StartAfter=inside)
        self.assertEqual(prefixes[0], BLOB_ROOT + "81/")

    def test_v1_marker_paging_with_a_sigv2_client(self):
        s3 = client(SERVER.endpoint, signature_version="s3")
        keys, _, counts = list_all(s3, v1=True)
        self.assertEqual(keys, KEYS)
        self.assertEqual(len(counts), N // 1000)
        self.assertEqual(len(s3.get_object(Bucket=BUCKET, Key=KEYS[-1])["Body"].read()), LINK_SIZE)
        marker = KEYS[4321]
        page = S3.list_objects(Bucket=BUCKET, Marker=marker, MaxKeys=10)
        self.assertEqual([o["Key"] for o in page["Contents"]], KEYS[4322:4332])
        self.assertNotIn("NextMarker", page)  # as S3: only with a delimiter
        page = S3.list_objects(Bucket=BUCKET, Prefix=BLOB_ROOT, Delimiter="/", MaxKeys=3)
        self.assertEqual(page["NextMarker"], BLOB_ROOT + "02/")

    def test_encoding_and_escaping_of_echoed_names(self):
        conn = http.client.HTTPConnection(urllib.parse.urlsplit(SERVER.endpoint).netloc)
        self.addCleanup(conn.close)
        quote = urllib.parse.quote
        for query, want in [
                ("list-type=2&encoding-type=url&prefix=" + quote("a b+c&"),
                 "<Prefix>a+b%2Bc%26</Prefix>"),
                ("list-type=2&prefix=" + quote("a<b>&c"), "<Prefix>a&lt;b&gt;&amp;c</Prefix>"),
                ("encoding-type=url&marker=" + quote("x y"), "<Marker>x+y</Marker>")]:
            conn.request("GET", f"/{BUCKET}?{query}")
            r = conn.getresponse()
            body = r.read().decode()
            self.assertEqual(r.status, 200, body)
            self.assertIn(want, body)
        conn.request("GET", f"/{BUCKET}?list-type=2&continuation-token=%25%25")
        r = conn.getresponse()
        self.assertEqual((r.status, b"<Code>InvalidArgument</Code>" in r.read()), (400, True))


class Objects(unittest.TestCase):
    def sample(self):
        return KEYS[:: N // 60] + KEYS[-3:]

    def test_content_matches_listing(self):
        for key in self.sample():
            with self.subTest(key=key):
                r = S3.get_object(Bucket=BUCKET, Key=key)
                body = r["Body"].read()
                self.assertEqual(len(body), OBJECTS[key])
                self.assertEqual(r["ETag"], f'"{hashlib.md5(body).hexdigest()}"')
                head = S3.head_object(Bucket=BUCKET, Key=key)
                self.assertEqual((head["ContentLength"], head["ETag"]), (len(body), r["ETag"]))
                if key.endswith("/link"):
                    self.assertTrue(body.startswith(b"sha256:"))
                    h = body[7:].decode()
                    self.assertIn(f"{BLOB_ROOT}{h[:2]}/{h}/data", OBJECTS)  # it names a blob
                else:
                    self.assertTrue(300 <= len(body) <= 4096)
        self.assertGreater(len({OBJECTS[k] for k in self.sample()}), 10)  # sizes vary

    def test_listed_etag_is_content_md5(self):
        page = S3.list_objects_v2(Bucket=BUCKET, StartAfter=KEYS[N // 2 - 3], MaxKeys=6)
        for o in page["Contents"]:
            body = S3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
            self.assertEqual(o["ETag"], f'"{hashlib.md5(body).hexdigest()}"')

    def test_range(self):
        key = KEYS[10]
        full = S3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        size = len(full)
        for spec, first, last in [("bytes=10-19", 10, 19), ("bytes=-5", size - 5, size - 1),
                                  ("bytes=100-", 100, size - 1), ("bytes=0-999999", 0, size - 1)]:
            with self.subTest(spec=spec):
                r = S3.get_object(Bucket=BUCKET, Key=key, Range=spec)
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 206)
                self.assertEqual(r["Body"].read(), full[first:last + 1])
                self.assertEqual(r["ContentRange"], f"bytes {first}-{last}/{size}")
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket=BUCKET, Key=key, Range=f"bytes={len(full)}-")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRange")

    def test_if_match(self):
        key = KEYS[-1]
        etag = S3.head_object(Bucket=BUCKET, Key=key)["ETag"]
        self.assertEqual(S3.get_object(Bucket=BUCKET, Key=key, IfMatch=etag)["ETag"], etag)
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket=BUCKET, Key=key, IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(e.exception.response["Error"]["Code"], "PreconditionFailed")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        with self.assertRaises(ClientError) as e:
            S3.get_object(Bucket=BUCKET, Key=key, IfNoneMatch=etag)
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 304)

    def test_errors(self):
        def code(call, **kw):
            with self.assertRaises(ClientError) as e:
                call(**kw)
            return e.exception.response["Error"]["Code"]
        self.assertEqual(code(S3.get_object, Bucket=BUCKET, Key=KEYS[0] + "x"), "NoSuchKey")
        self.assertEqual(code(S3.head_object, Bucket=BUCKET, Key="nope"), "404")
        self.assertEqual(code(S3.list_objects_v2, Bucket="other"), "NoSuchBucket")
        self.assertEqual(code(S3.head_bucket, Bucket="other"), "404")
        self.assertEqual(code(S3.put_object, Bucket=BUCKET, Key="k", Body=b"x"), "NotImplemented")
        self.assertEqual(code(S3.delete_object, Bucket=BUCKET, Key=KEYS[0]), "NotImplemented")
        self.assertEqual(code(S3.get_bucket_versioning, Bucket=BUCKET), "NotImplemented")
        S3.head_bucket(Bucket=BUCKET)
        self.assertEqual([b["Name"] for b in S3.list_buckets()["Buckets"]], [BUCKET])


class Server(unittest.TestCase):
    def test_stats_count_requests(self):
        with SyntheticS3(3000, list_delay_ms=50) as server:
            s3 = client(server.endpoint)
            self.assertIsNone(server.stats()["list_requests_before_first_get"])
            start = time.monotonic()
            keys, _, _ = list_all(s3, page_size=1000)  # 3 pages
            self.assertGreaterEqual(time.monotonic() - start, 0.15)
            size = len(s3.get_object(Bucket=BUCKET, Key=keys[5])["Body"].read())
            s3.get_object(Bucket=BUCKET, Key=keys[6], Range="bytes=0-9")["Body"].read()
            s3.head_object(Bucket=BUCKET, Key=keys[7])
            s3.list_objects_v2(Bucket=BUCKET, Delimiter="/", MaxKeys=10)
            self.assertEqual(server.stats(), {
                "list_requests": 4, "get_requests": 2, "head_requests": 1,
                "list_requests_before_first_get": 3, "bytes_served": size + 10,
                "max_page_keys": 1000})

    def test_delimiter_at_the_root_of_ten_million_keys_is_cheap(self):
        with SyntheticS3(10_000_000) as server:
            s3 = client(server.endpoint)
            start = time.monotonic()
            _, prefixes, _ = list_all(s3, Prefix=BLOB_ROOT, Delimiter="/")
            page = s3.list_objects_v2(Bucket=BUCKET, Prefix=REPO_ROOT, Delimiter="/")
            elapsed = time.monotonic() - start
            self.assertEqual(prefixes, [f"{BLOB_ROOT}{i:02x}/" for i in range(256)])
            self.assertGreater(len(page["CommonPrefixes"]), 10)
            self.assertLess(elapsed, 2.0)
            space = KeySpace(10_000_000)
            page = s3.list_objects_v2(Bucket=BUCKET, StartAfter=space.key(7_654_321), MaxKeys=3)
            self.assertEqual([o["Key"] for o in page["Contents"]],
                             [space.key(i) for i in range(7_654_322, 7_654_325)])
            page = s3.list_objects_v2(Bucket=BUCKET, StartAfter=space.key(9_999_999))
            self.assertEqual((page["KeyCount"], page["IsTruncated"]), (0, False))


if __name__ == "__main__":
    unittest.main()
