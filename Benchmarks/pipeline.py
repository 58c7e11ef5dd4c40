#!/usr/bin/env python3
"""The whole pipeline on a large PDF beside `pdftotext` alone, in the same run.

A release tomed (default workers) watches a scratch spool. Each round,
interleaved: `pdftotext FILE out.txt` (wall and CPU time), then the PDF is
renamed into the spool and timed until `GET /v1/documents` says it is done
(polled every 10 ms): extraction and analysis in the child, the transfer of
its record, the store's transaction and the corpus memory's update. The
daemon's CPU time counts its reaped children. Between rounds the document is
deleted, so the same content is processed again. Median of the rounds.

Usage: Benchmarks/pipeline.py [FILE] [--build .build/release] [--rounds 3]
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402


def cpu_of(pid):
    """utime + stime + cutime + cstime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", default="/usr/share/R/doc/manual/fullrefman.pdf")
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.path.exists(args.file):
        sys.exit(f"missing {args.file}: run `make bench`, which installs r-doc-pdf")
    daemon = benchlib.Daemon(args.build)
    scratch = tempfile.mkdtemp(prefix="tome-pipeline-")
    rows = {"pdftotext": [], "tome": []}
    try:
        staged = os.path.join(daemon.spool, ".incoming.part")
        for n in range(args.rounds):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            subprocess.run(["pdftotext", args.file, os.path.join(scratch, "out.txt")], check=True)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            rows["pdftotext"].append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))

            shutil.copy(args.file, staged)
            name = f"round{n}.pdf"
            cpu = cpu_of(daemon.process.pid)
            t0 = time.monotonic()
            os.rename(staged, os.path.join(daemon.spool, name))
            doc = daemon.wait_done(name)
            wall = time.monotonic() - t0
            if doc["status"] != "done":
                sys.exit(f"not processed: {doc}")
            rows["tome"].append((wall, cpu_of(daemon.process.pid) - cpu))
            benchlib.request(daemon.sock, "DELETE", f"/v1/documents/{doc['id']}")
        pages, tokens = doc["pages"], doc["tokens"]
    finally:
        daemon.close()
        shutil.rmtree(scratch, ignore_errors=True)
    p_wall = statistics.median(w for w, _ in rows["pdftotext"])
    p_cpu = statistics.median(c for _, c in rows["pdftotext"])
    t_wall = statistics.median(w for w, _ in rows["tome"])
    t_cpu = statistics.median(c for _, c in rows["tome"])
    print(f"{os.path.basename(args.file)}: {pages} pages, {tokens:,} tokens; {os.cpu_count()} cores; median of {args.rounds} interleaved rounds\n")
    print("| | wall s | CPU s | wall vs pdftotext | CPU vs pdftotext |")
    print("|---|---:|---:|---:|---:|")
    print(f"| `pdftotext` (text only) | {p_wall:.2f} | {p_cpu:.2f} | 1.00x | 1.00x |")
    print(f"| tomed: renamed into the spool → done (text, analysis, stored) | {t_wall:.2f} | {t_cpu:.2f} | {t_wall / p_wall:.2f}x | {t_cpu / p_cpu:.2f}x |")


if __name__ == "__main__":
    main()
