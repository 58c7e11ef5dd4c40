#!/usr/bin/env python3
"""OCR: Tome beside the `tesseract` CLI and `ocrmypdf`, in the same run, on
scans made from real PDFs whose own text layer is the reference.

Pages of Debian's manuals are rendered in grey by `pdftoppm` at 300, 200
and 150 dpi and wrapped into image-only PDFs by img2pdf. On those:

- Tome: `tomed extract` (its OCR: a page's image rendered by poppler at the
  scan's own resolution, Tesseract's C API, one engine a worker, two
  workers);
- the `tesseract` CLI on the same page images (`pdftoppm`'s PNGs), one
  OpenMP thread (OMP_THREAD_LIMIT=1), one page at a time, and two pages at
  a time with `xargs -P 2`;
- `ocrmypdf` on the same PDF (its defaults: a job per core; `pdftotext`
  of its output).

Accuracy against the page's text layer (`pdftotext -layout`-free, reading
order), per page then pooled: word recall (bag of lowercased words of
letters and digits) and word accuracy (1 - word-level Levenshtein distance
/ reference words, order-aware, at least 0). Prose pages and reference pages
(usage code, argument tables) are reported apart. Speed: pages per second
(wall) and CPU seconds per page; peak RSS of the process tree (GNU time).
Nothing here was tuned on these pages: the only constants of Tome's OCR are
Tesseract's own and the page rule `OCRRule`, set before this ran.

A second part times a 100-page scanned PDF (300 dpi) from the moment it is
renamed into a running daemon's spool until the document is done (OCR,
analysis, store), beside `ocrmypdf` on the same file.

Usage: Benchmarks/ocr.py [--build .build/release] [--work var/bench/ocr] [--pages N] [--skip-long]
"""
import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

try:
    import img2pdf
    from rapidfuzz.distance import Levenshtein
except ImportError:
    sys.exit("needs img2pdf and rapidfuzz: python3 -m pip install img2pdf rapidfuzz (make bench installs them)")

# (label, file, first page, last page): prose, then reference pages (usage code, argument tables).
SETS = {
    "prose": [("bzip2", "/usr/share/doc/bzip2/manual.pdf.gz", 6, 11), ("R-intro", "/usr/share/R/doc/manual/R-intro.pdf", 12, 17)],
    "reference": [("fullrefman", "/usr/share/R/doc/manual/fullrefman.pdf", 301, 306),
                  ("valgrind", "/usr/share/doc/valgrind/valgrind_manual.pdf.gz", 40, 45)],
}
DPIS = [300, 200, 150]


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def scores(reference, found):
    """(recall, accuracy) of `found` against `reference`, both words lists."""
    if not reference:
        return None
    left = {}
    for w in found:
        left[w] = left.get(w, 0) + 1
    hits = 0
    for w in reference:
        if left.get(w, 0) > 0:
            left[w] -= 1
            hits += 1
    accuracy = max(0.0, 1 - Levenshtein.distance(reference, found) / len(reference))
    return hits / len(reference), accuracy


def timed(command, env=None, stdin=None):
    """(wall seconds, CPU seconds, peak RSS in MiB, stdout) of `command` under GNU time."""
    start = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", *command], capture_output=True, env=env, input=stdin)
    wall = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed: {done.stderr.decode(errors='replace')[-400:]}")
    user, system, rss = done.stderr.decode().strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(rss) / 1024, done.stdout


def unpacked(path, work):
    if not path.endswith(".gz"):
        return path
    out = os.path.join(work, os.path.basename(path)[:-3])
    if not os.path.exists(out):
        with open(out, "wb") as f:
            f.write(subprocess.run(["gzip", "-dc", path], check=True, capture_output=True).stdout)
    return out


def make_scans(work):
    """Per set and dpi: the scanned PDF, its page PNGs, and each page's reference text."""
    made = {}
    for kind, sources in SETS.items():
        refs, pngs_by_dpi = [], {d: [] for d in DPIS}
        for label, source, first, last in sources:
            if not os.path.exists(source):
                sys.exit(f"missing {source}: run `make bench`, which installs the documentation packages")
            pdf = unpacked(source, work)
            for page in range(first, last + 1):
                refs.append(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), pdf, "-"], check=True,
                                           capture_output=True, text=True).stdout)
            for dpi in DPIS:
                prefix = os.path.join(work, f"{label}-{dpi}")
                if not glob.glob(prefix + "-*.png"):
                    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(first), "-l", str(last), pdf, prefix], check=True)
                pngs_by_dpi[dpi] += sorted(glob.glob(prefix + "-*.png"))
        for dpi in DPIS:
            scan = os.path.join(work, f"{kind}-{dpi}.pdf")
            if not os.path.exists(scan):
                with open(scan, "wb") as f:
                    f.write(img2pdf.convert([open(p, "rb").read() for p in pngs_by_dpi[dpi]]))
            made[(kind, dpi)] = (scan, pngs_by_dpi[dpi], refs)
    return made


def pages_of(text):
    return text.split("\f")


def pooled(refs, texts):
    pairs = [scores(words(r), words(t)) for r, t in zip(refs, texts)]
    pairs = [p for p in pairs if p]
    return statistics.mean(p[0] for p in pairs), statistics.mean(p[1] for p in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--work", default="var/bench/ocr")
    parser.add_argument("--skip-long", action="store_true", help="leave out the 100-page spool run")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    tomed = os.path.join(args.build, "tomed")
    single = dict(os.environ, OMP_THREAD_LIMIT="1")
    scans = make_scans(args.work)

    print("| pages | dpi | system | word recall | word accuracy | pages/s (wall) | CPU s/page | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = []
    for (kind, dpi), (scan, pngs, refs) in scans.items():
        n = len(pngs)
        rows = []
        wall, cpu, rss, out = timed([tomed, "extract", "--json", "--ocr-dpi", str(dpi), "--workers", "2", scan], env=single)
        document = json.loads(out)
        texts = [document["text"].encode()[p["start"]:p["end"]].decode() for p in document["pages"]]
        rows.append(("Tome (2 workers)", *pooled(refs, texts), n / wall, cpu / n, rss))
        tome_rate = n / wall

        # The CLI on the same pixels, one thread: one page at a time, then two at a time.
        start = time.monotonic()
        cpu_one, rss_one, cli_texts = 0.0, 0.0, []
        for png in pngs:
            w, c, r, out = timed(["tesseract", png, "-", "--dpi", str(dpi)], env=single)
            cpu_one += c
            rss_one = max(rss_one, r)
            cli_texts.append(out.decode())
        one_wall = time.monotonic() - start
        rows.append(("tesseract CLI, 1 at a time", *pooled(refs, cli_texts), n / one_wall, cpu_one / n, rss_one))
        wall, cpu, rss, _ = timed(["sh", "-c", f"printf '%s\\n' {' '.join(pngs)} | xargs -P 2 -I{{}} tesseract {{}} {{}}.cli --dpi {dpi} 2>/dev/null"],
                                  env=single)
        rows.append(("tesseract CLI, 2 at a time (xargs -P 2)", *pooled(refs, cli_texts), n / wall, cpu / n, rss))

        if shutil.which("ocrmypdf"):
            out_pdf = scan[:-4] + ".ocrmypdf.pdf"
            wall, cpu, rss, _ = timed(["ocrmypdf", "--quiet", "--force-ocr", "--output-type", "pdf", scan, out_pdf])
            text = subprocess.run(["pdftotext", out_pdf, "-"], check=True, capture_output=True, text=True).stdout
            rows.append(("ocrmypdf (a job per core)", *pooled(refs, pages_of(text)), n / wall, cpu / n, rss))
        for name, recall, accuracy, rate, cpu_page, rss in rows:
            print(f"| {kind} ({n}) | {dpi} | {name} | {recall:.3f} | {accuracy:.3f} | {rate:.2f} | {cpu_page:.2f} | {rss:.0f} |")
        # Like with like: Tome's two workers against the CLI two pages at a time (wall), and CPU seconds a page.
        two = rows[2]
        ratios.append((kind, dpi, tome_rate / two[3], rows[0][4] / two[4], rows[0][2] - two[2]))
    print()
    for kind, dpi, wall_ratio, cpu_ratio, delta in ratios:
        print(f"{kind} {dpi} dpi: Tome's pages/s {wall_ratio:.2f}x the CLI's two at a time, its CPU a page {cpu_ratio:.2f}x; "
              f"word accuracy {delta:+.3f} against it")

    if args.skip_long:
        return
    # 100 pages from rename-in to done, beside ocrmypdf on the same file.
    long_pngs = []
    pdf = unpacked("/usr/share/doc/valgrind/valgrind_manual.pdf.gz", args.work)
    prefix = os.path.join(args.work, "long-300")
    if not glob.glob(prefix + "-*.png"):
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-f", "101", "-l", "200", pdf, prefix], check=True)
    long_pngs = sorted(glob.glob(prefix + "-*.png"))
    long_scan = os.path.join(args.work, "long-100.pdf")
    if not os.path.exists(long_scan):
        with open(long_scan, "wb") as f:
            f.write(img2pdf.convert([open(p, "rb").read() for p in long_pngs]))
    daemon = benchlib.Daemon(args.build)
    try:
        part = os.path.join(daemon.spool, ".long.pdf.part")
        shutil.copy(long_scan, part)
        start = time.monotonic()
        os.rename(part, os.path.join(daemon.spool, "long.pdf"))
        document = daemon.wait_done("long.pdf", timeout=1800)
        tome_wall = time.monotonic() - start
        if document["status"] != "done":
            sys.exit(f"the 100-page scan failed: {document.get('error')}")
    finally:
        daemon.close()
    wall, cpu, _, _ = timed(["ocrmypdf", "--quiet", "--force-ocr", "--output-type", "pdf", long_scan, long_scan[:-4] + ".ocrmypdf.pdf"])
    print(f"\n100-page scan (300 dpi): rename-in to done {tome_wall:.1f} s; ocrmypdf {wall:.1f} s ({cpu:.1f} CPU s): "
          f"Tome {wall / tome_wall:.2f}x faster")


if __name__ == "__main__":
    main()
