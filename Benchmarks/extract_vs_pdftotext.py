#!/usr/bin/env python3
"""Tome's PDF extraction beside pdftotext, on the same files, in one run.

For each PDF: the median wall time of `tomed extract FILE` and of
`pdftotext FILE OUT` over --runs runs (both write the text to a file), the
peak RSS of each (from wait4), their ratio, and how much of pdftotext's word
multiset Tome's text contains (words = runs of non-white-space).

Gzipped PDFs (as Debian ships some manuals) are unpacked first, so both tools
read the same bytes; Tome could read the .gz directly.

Usage: Benchmarks/extract_vs_pdftotext.py [--tomed PATH] [--runs N] [PDF...]
"""
import argparse
import collections
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_PDFS = [
    "/usr/share/R/doc/manual/fullrefman.pdf",        # r-doc-pdf, 2415 pages
    "/usr/share/doc/octave/octave.pdf",              # octave-doc, 1158 pages
    "/usr/share/doc/octave/liboctave.pdf",           # octave-doc
    "/usr/share/doc/valgrind/valgrind_manual.pdf.gz",  # valgrind
    "/usr/share/doc/octave/refcard-a4.pdf",          # octave-doc, 2 pages: the fixed cost of starting
]


def run(argv, stdout_path, work):
    """Runs argv with stdout to a file; returns (seconds, peak RSS in MiB).

    Peak RSS comes from GNU time, which forks the tool from its own small
    process: a child forked straight from this Python process would inherit
    the parent's high-water mark into its ru_maxrss."""
    rss_path = os.path.join(work, "rss")
    with open(stdout_path, "wb") as out:
        start = time.perf_counter()
        status = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", rss_path] + argv, stdout=out, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed with status {status}")
    with open(rss_path) as f:
        return elapsed, int(f.read().split()[-1]) / 1024


def words(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return collections.Counter(f.read().split())


def pages(path):
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tomed", default=".build/release/tomed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("pdfs", nargs="*", default=DEFAULT_PDFS)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="tome-bench-")
    rows = []
    try:
        for source in args.pdfs:
            if not os.path.exists(source):
                print(f"skipped (not installed): {source}", file=sys.stderr)
                continue
            pdf = source
            if source.endswith(".gz"):
                pdf = os.path.join(work, os.path.basename(source)[:-3])
                with gzip.open(source, "rb") as src, open(pdf, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            ref_out, tome_out = os.path.join(work, "ref.txt"), os.path.join(work, "tome.txt")
            ref_runs, tome_runs = [], []
            for _ in range(args.runs):  # interleaved, so both see the same machine state
                ref_runs.append(run(["pdftotext", pdf, ref_out], os.devnull, work))
                tome_runs.append(run([args.tomed, "extract", pdf], tome_out, work))
            ref_words, tome_words = words(ref_out), words(tome_out)
            shared = sum((ref_words & tome_words).values())
            ref_s = statistics.median(t for t, _ in ref_runs)
            tome_s = statistics.median(t for t, _ in tome_runs)
            rows.append((
                os.path.basename(source), pages(pdf), ref_s, tome_s, tome_s / ref_s,
                max(m for _, m in ref_runs), max(m for _, m in tome_runs),
                sum(ref_words.values()), shared / max(1, sum(ref_words.values())),
            ))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"cores: {os.cpu_count()}, runs per tool: {args.runs} (median), tomed: {args.tomed}")
    print("| PDF | pages | pdftotext s | tome s | tome/pdftotext | pdftotext RSS MiB | tome RSS MiB | pdftotext words | words matched |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, ref_s, tome_s, ratio, ref_m, tome_m, n_words, match in rows:
        print(f"| {name} | {n} | {ref_s:.2f} | {tome_s:.2f} | {ratio:.2f}x | {ref_m:.0f} | {tome_m:.0f} | {n_words} | {match:.2%} |")


if __name__ == "__main__":
    main()
