#!/usr/bin/env python3
"""The engine's benchmarks, in one run: analysis beside SQLite FTS5 at 128K,
1M and 4M tokens, then `ask` latency sparse vs dense through the daemon.

The text is real English prose from Debian's manuals (Octave, R's reference
manual, Valgrind, liboctave), extracted by `tomed extract` and concatenated
in that order. They hold about 2M tokens, so the 4M-token document repeats
them (said in the table). Each size is analysed in a fresh process, so peak
RSS is that size's own.

Usage: Benchmarks/engine.py [--build .build/release] [--questions 120]
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
    parser.add_argument("--questions", type=int, default=120)
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

        print(f"Analysis (tokens → sentences → blocks → Engram counts → keys, {os.cpu_count()} cores) beside SQLite FTS5")
        print("indexing the same text one sentence per row, same process; best of 3 each:\n")
        print("| tokens | engine s | FTS5 s | engine/FTS5 | tokens/s | peak RSS MiB | text |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        results = {}
        for tokens in (128_000, 1_000_000, 4_000_000):
            source = corpus if tokens <= 1_000_000 else repeated
            line = subprocess.run([bench, "analysis", source, str(tokens)], check=True, capture_output=True, text=True).stdout
            r = json.loads(line)
            results[tokens] = r
            note = "manuals" if source == corpus else f"manuals × {copies}"
            print(f"| {r['tokens']:,} | {r['engine_s']:.3f} | {r['fts5_s']:.3f} | {r['ratio']:.2f}x | {r['tokens_per_s'] / 1e6:.2f}M | {r['peak_rss_mib']:.0f} | {note} |")
        growth = results[4_000_000]["engine_s"] / results[1_000_000]["engine_s"]
        tokens_ratio = results[4_000_000]["tokens"] / results[1_000_000]["tokens"]
        print(f"\n4M vs 1M: {growth:.2f}x the time for {tokens_ratio:.2f}x the tokens\n")

        document = os.path.join(work, "1m.txt")
        with open(document, "wb") as f:
            f.write(subprocess.run([bench, "prefix", corpus, "1000000"], check=True, capture_output=True).stdout)
        print("Ask on a 1M-token document through the daemon (its elapsed_ms):\n")
        sys.stdout.flush()
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "ask_latency.py"), document,
                        "--questions", str(args.questions), "--build", args.build], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
