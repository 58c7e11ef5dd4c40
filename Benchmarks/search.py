#!/usr/bin/env python3
"""Keyword search through the real daemon, beside a plain FTS5 table of the
same sentences, over 1M and 10M tokens of stored text.

For each corpus a release tomed is started on a scratch state dir and the
documents are dropped into its spool; once they are done, the sentences are
read back from its database into a plain FTS5 table (same tokenizer) in
another file. Queries are drawn from a seed out of the corpus itself, of
the kinds users type: a rare word, a common word, two words, a "phrase", a
prefix*, an identifier with punctuation ("E-1234"-like, quoted), A OR B.
Each is run `--rounds` times, warm, three ways, limit 10, with snippets:

- Tome: GET /v1/search over the socket (HTTP, JSON, names) — wall time;
- Tome's table, queried directly with Python's sqlite3 (no HTTP);
- the plain table, queried the same way.

Usage: Benchmarks/search.py [--build .build/release] [--work var/bench] [--seed 3] [--queries 60] [--rounds 3]
(`make bench` builds the corpora first: var/bench/needles-2/{manuals,prose}-{1M,4M}.txt)
"""
import argparse
import os
import random
import re
import shutil
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

SQL = ("SELECT rowid, bm25({t}), snippet({t}, 0, '[', ']', '…', 24) FROM {t} "
       "WHERE {t} MATCH ? ORDER BY bm25({t}), rowid LIMIT 10")


def queries(texts, rng, count):
    """Keyword queries drawn from the corpus: what users type."""
    words = [w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z]{3,}", t[:2_000_000])]
    counts = {}
    for w in words:
        counts[w.lower()] = counts.get(w.lower(), 0) + 1
    rare = [w for w, c in counts.items() if 1 <= c <= 3]
    common = [w for w, c in counts.items() if c > 200]
    idents = sorted({m for t in texts for m in re.findall(r"\b[A-Za-z]+[-_.][A-Za-z0-9]+\d\b|\b\d+\.\d+\.\d+\b", t[:2_000_000])})
    phrases = re.findall(r"\b([a-z]{4,} [a-z]{4,})\b", " ".join(texts)[:2_000_000])
    kinds = [
        lambda: rng.choice(rare),
        lambda: rng.choice(common),
        lambda: f"{rng.choice(common)} {rng.choice(rare)}",
        lambda: f'"{rng.choice(phrases)}"',
        lambda: rng.choice(rare)[:4] + "*",
        lambda: f'"{rng.choice(idents)}"' if idents else rng.choice(rare),
        lambda: f"{rng.choice(rare)} OR {rng.choice(rare)}",
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


def timed(run, qs, rounds):
    for q in qs:
        run(q)  # warm
    times = []
    for _ in range(rounds):
        for q in qs:
            started = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - started) * 1000)
    return times


def measure(build, name, paths, rng, count, rounds):
    daemon = benchlib.Daemon(build, workers=1)
    try:
        texts = []
        for n, path in enumerate(paths):
            with open(path, encoding="utf-8") as f:
                texts.append(f.read())
            target = f"{n:02d}-{os.path.basename(path)}"
            shutil.copy(path, os.path.join(daemon.spool, "." + target + ".part"))
            os.rename(os.path.join(daemon.spool, "." + target + ".part"), os.path.join(daemon.spool, target))
        docs = [daemon.wait_done(f"{n:02d}-{os.path.basename(p)}", timeout=3600) for n, p in enumerate(paths)]
        if any(d["status"] != "done" for d in docs):
            sys.exit(f"{name}: {docs}")
        tokens = sum(d["tokens"] for d in docs)
        tome_db = sqlite3.connect(os.path.join(daemon.work, "state", "tome.sqlite"))
        rows = tome_db.execute("SELECT COUNT(*) FROM sentence_search").fetchone()[0]
        plain_path = os.path.join(daemon.work, "plain.sqlite")
        plain = sqlite3.connect(plain_path)
        plain.execute("CREATE VIRTUAL TABLE plain USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')")
        plain.executemany("INSERT INTO plain (rowid, text) VALUES (?, ?)", tome_db.execute("SELECT rowid, text FROM sentence_search"))
        plain.commit()
        qs = queries(texts, rng, count)

        def tome(q):
            status, _ = benchlib.request(daemon.sock, "GET", "/v1/search?q=" + urllib.parse.quote_plus(q) + "&limit=10")
            if status != 200:
                sys.exit(f"{q!r}: {status}")

        def direct(q, db=tome_db, table="sentence_search"):
            return db.execute(SQL.format(t=table), (q,)).fetchall()

        hits = [len(direct(q)) for q in qs]
        same = sum(direct(q) == direct(q, plain, "plain") for q in qs)
        return {
            "name": name, "tokens": tokens, "rows": rows, "queries": len(qs), "with_hits": sum(h > 0 for h in hits), "same": same,
            "tome": timed(tome, qs, rounds), "table": timed(direct, qs, rounds),
            "plain": timed(lambda q: direct(q, plain, "plain"), qs, rounds),
        }
    finally:
        daemon.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--work", default="var/bench")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--queries", type=int, default=63)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    needles = os.path.join(args.work, "needles-2")
    corpora = {
        "1M tokens (1 document)": ["manuals-1M.txt"],
        "10M tokens (4 documents)": ["manuals-4M.txt", "prose-4M.txt", "manuals-1M.txt", "prose-1M.txt"],
    }
    rng = random.Random(args.seed)
    print(f"keyword search, limit 10 with snippets, {args.rounds} warm rounds; sqlite {sqlite3.sqlite_version} (Python's) — seed {args.seed}")
    print(f"{'corpus':<26} {'rows':>8} {'queries':>8} {'hits':>5} {'same':>5} "
          f"{'Tome p50/p99 ms':>16} {'its table p50/p99':>18} {'plain FTS5 p50/p99':>19} {'Tome/plain p50':>14}")
    for name, files in corpora.items():
        paths = [os.path.join(needles, f) for f in files]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            sys.exit(f"missing {missing}: run `make bench` (Benchmarks/needles.py writes them)")
        r = measure(os.path.abspath(args.build), name, paths, rng, args.queries, args.rounds)
        p = lambda xs: f"{benchlib.percentile(xs, .5):.2f}/{benchlib.percentile(xs, .99):.2f}"
        ratio = benchlib.percentile(r["tome"], .5) / benchlib.percentile(r["plain"], .5)
        print(f"{name:<26} {r['rows']:>8} {r['queries']:>8} {r['with_hits']:>5} {r['same']:>5} "
              f"{p(r['tome']):>16} {p(r['table']):>18} {p(r['plain']):>19} {ratio:>13.2f}×")


if __name__ == "__main__":
    main()
