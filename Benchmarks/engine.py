#!/usr/bin/env python3
"""The engine's analysis beside SQLite FTS5 at 128K, 1M and 4M tokens.

The text is real English prose from Debian's manuals (Octave, R's reference
manual, Valgrind, liboctave), extracted by `tomed extract` and concatenated
in that order. They hold about 2M tokens, so the 4M-token document repeats
them (said in the table). Each size is analysed in a fresh process, so peak
RSS is that size's own. Tome runs on every core (wall and CPU time) and on
one worker; FTS5 indexes the same text one sentence per row on its one
thread: compare its time with Tome's CPU time or one-worker time.

Usage: Benchmarks/engine.py [--build .build/release]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

MANUALS = [
    "/usr/share/doc/octave/octave.pdf",
    "/usr/share/R/doc/manual/fullrefman.pdf",
    "/usr/share/doc/valgrind/valgrind_manual.pdf.gz",
    "/usr/share/doc/octave/liboctave.pdf",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    args = parser.parse_args()
    tomed, bench = os.path.join(args.build, "tomed"), os.path.join(args.build, "tome-bench")
    work = tempfile.mkdtemp(prefix="tome-engine-bench-")
    try:
        corpus = os.path.join(work, "corpus.txt")
        with open(corpus, "wb") as out:
            for manual in MANUALS:
                if not os.path.exists(manual):
                    sys.exit(f"missing {manual}: run `make bench`, which installs r-doc-pdf, octave-doc and valgrind")
                out.write(subprocess.run([tomed, "extract", manual], check=True, capture_output=True).stdout)
        # Enough copies for 4M tokens (~4 bytes a token in these manuals).
        size = os.path.getsize(corpus)
        repeated = os.path.join(work, "repeated.txt")
        copies = max(1, -(-4_300_000 * 4 // size))
        with open(repeated, "wb") as out:
            for _ in range(copies):
                with open(corpus, "rb") as f:
                    shutil.copyfileobj(f, out)

        print(f"Analysis (tokens → sentences → blocks → Engram counts → unit kinds → block signatures → extraction experts → summaries, {os.cpu_count()} cores)")
        print("beside SQLite FTS5 indexing the same text one sentence per row, same process; best of 3 each:\n")
        print("| tokens | Tome wall s | Tome CPU s | Tome 1 worker s | FTS5 s | wall/FTS5 | CPU/FTS5 | 1 worker/FTS5 | tokens/s | peak RSS MiB | text |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        results = {}
        for tokens in (128_000, 1_000_000, 4_000_000):
            source = corpus if tokens <= 1_000_000 else repeated
            line = subprocess.run([bench, "analysis", source, str(tokens)], check=True, capture_output=True, text=True).stdout
            r = json.loads(line)
            results[tokens] = r
            note = "manuals" if source == corpus else f"manuals × {copies}"
            print(f"| {r['tokens']:,} | {r['engine_s']:.3f} | {r['engine_cpu_s']:.3f} | {r['engine_1_worker_s']:.3f} | {r['fts5_s']:.3f} "
                  f"| {r['engine_s'] / r['fts5_s']:.2f}x | {r['engine_cpu_s'] / r['fts5_s']:.2f}x | {r['engine_1_worker_s'] / r['fts5_s']:.2f}x "
                  f"| {r['tokens_per_s'] / 1e6:.2f}M | {r['peak_rss_mib']:.0f} | {note} |")
        growth = results[4_000_000]["engine_s"] / results[1_000_000]["engine_s"]
        tokens_ratio = results[4_000_000]["tokens"] / results[1_000_000]["tokens"]
        print(f"\n4M vs 1M: {growth:.2f}x the time for {tokens_ratio:.2f}x the tokens")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
