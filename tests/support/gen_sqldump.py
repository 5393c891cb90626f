#!/usr/bin/env python3
"""Writes a text-heavy stream shaped like `pg_dumpall` output (CREATE TABLE,
COPY ... FROM stdin with tab-separated rows of ids, names, e-mail addresses,
timestamps, amounts and free text) to stdout, or to a file, for measuring
compression. The same --size and --seed give the same bytes.

    tests/support/gen_sqldump.py --size 200MiB | gwsync put --zstd - s3://db-dumps/all.sql.zst

Rows are drawn from a seeded generator in blocks of about 4 MiB; to stay fast
the stream cycles through 16 such blocks, so a block repeats only 64 MiB
later, far outside zstd's window at level 3 (2 MiB): the ratio is that of
fresh rows.
"""

import argparse
import random
import re
import sys

WORDS = ("account order invoice payment shipped pending refund customer address "
         "street city north south warehouse item quantity price discount total "
         "note urgent delivered returned priority standard express gift card "
         "review rating excellent poor average the a of and to in for on with").split()
FIRST = "anna ben carla david emma felix greta hugo ida jonas karl lena max nina otto paula".split()
LAST = "schmidt mueller weber wagner becker hoffmann schulz koch richter klein wolf".split()
DOMAINS = ["example.com", "mail.example.org", "corp.example.net"]
BLOCK = 4 << 20
BLOCKS = 16


def parse_size(text):
    m = re.fullmatch(r"(\d+)\s*([KMG]i?B?)?", text.strip(), re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text}")
    unit = (m.group(2) or "").upper()[:1]
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[unit]


def block(rng, table, first_id):
    rows = []
    size = 0
    row_id = first_id
    while size < BLOCK:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))
        row = (f"{row_id}\t{first} {last}\t{first}.{last}{rng.randint(1, 999)}@"
               f"{rng.choice(DOMAINS)}\t2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
               f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00"
               f"\t{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}\t{text}\n")
        rows.append(row)
        size += len(row)
        row_id += 1
    header = (f"\nCREATE TABLE public.{table} (\n    id bigint NOT NULL,\n    name text,\n"
              f"    email text,\n    created timestamp with time zone,\n"
              f"    amount numeric(12,2),\n    note text\n);\n\n"
              f"COPY public.{table} (id, name, email, created, amount, note) FROM stdin;\n")
    return header, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("200MiB"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", default="-")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    blocks = [block(rng, f"t{i}", 1) for i in range(BLOCKS)]
    out = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")
    written, n = 0, 0
    try:
        while written < args.size:
            header, rows = blocks[n % BLOCKS]
            # Each reuse gets its own table name: the headers differ.
            data = (header.replace("public.t", f"public.t{n}_", 2) + "".join(rows) +
                    "\\.\n").encode()
            data = data[:args.size - written]
            out.write(data)
            written += len(data)
            n += 1
    except BrokenPipeError:
        return 1
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
