#!/usr/bin/env python3
"""Summary quality and speed: Tome vs sumy's LexRank and TextRank vs lead-N,
against the human abstracts of real documents.

The documents are PDF vignettes of Debian's r-cran-* packages that open with
an abstract (Benchmarks/summaries/corpus.json; `make bench` installs the
packages). Each is extracted with `tomed extract`; its abstract is found
and cut off, with everything before it (title, authors), and the rest is
summarised by each method in N sentences. ROUGE-1/2/L F1 (rouge-score,
Porter stemming) of each summary against the abstract. The documents are
split in two halves by a seeded shuffle: Tome's settings were chosen on the
"tune" half; the figures to report are the "report" half's.

The other methods are given the same text cut into sentences by one simple
rule (a stop, white space, then a capital, digit or opening quote), and
sumy's words by a regular expression: sumy's own English tokenizer needs
NLTK's punkt data, which is not on PyPI. Time is CPU time in one process
for each: for Tome, the summary alone (its analysis with a summary minus
without one, best of three, one worker: `tome-bench summarize`).

With --scale, also Tome's summary time and peak RSS on 1M- and 4M-token
documents, and how far LexRank gets within --lexrank-budget CPU seconds.

Usage: Benchmarks/summaries.py [--build .build/release] [--seed 4] [--sentences 6] [--set report|tune|all] [--scale]
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SPLIT = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[A-Z0-9\"“(])")


def find_abstract(text):
    """(abstract, rest) or None: the paragraph after an "Abstract" heading in
    the first pages, up to keywords, an introduction or a blank line after
    40 words; the rest is what follows it."""
    head = text[:12000]
    match = re.search(r"(?im)^\s*abstract\s*[:.\-–—]?\s*$|\babstract\s*[:.\-–—]\s*|^\s*abstract\s+(?=\w)", head)
    if not match:
        return None
    start = match.end()
    stops = [m.start() for m in re.finditer(r"(?im)^\s*(key\s*words|keywords|\d+\.?\s+introduction|introduction)\b", text[start:start + 6000])]
    end = start + (min(stops) if stops else 0)
    if not stops:
        # No keywords or introduction: the first blank line after 40 words.
        words = 0
        for para in re.finditer(r"(.+?)(\n\s*\n|\Z)", text[start:start + 6000], re.S):
            words += len(para.group(1).split())
            if words >= 40:
                end = start + para.end()
                break
    abstract = " ".join(text[start:end].split())
    if len(abstract.split()) < 40:
        return None
    rest = text[end:]
    rest = re.sub(r"(?im)^\s*(key\s*words|keywords)\b.*$", "", rest, count=1)
    return abstract, rest


def sentences_of(text):
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    out = []
    for p in paragraphs:
        out += [s for s in SPLIT.split(p) if len(s.split()) >= 4]
    return out


def sumy_summaries(sentences, n, methods=("LexRank", "TextRank")):
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    class Words:
        language = "english"

        def to_words(self, text):
            return re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", text)

    words = Words()
    document = ObjectDocumentModel([Paragraph([Sentence(s, words) for s in sentences])])
    out = {}
    for name, kind in (("LexRank", LexRankSummarizer), ("TextRank", TextRankSummarizer)):
        if name not in methods:
            continue
        summarizer = kind(Stemmer("english"))
        summarizer.stop_words = get_stop_words("english")
        started = time.process_time()
        chosen = [str(s) for s in summarizer(document, n)]
        out[name] = (chosen, time.process_time() - started)
    return out


def scale(args):
    """Tome's summary time and peak RSS on 1M- and 4M-token documents, and
    how far LexRank gets on the 1M one within a CPU-time budget (its cost
    grows with the square of the sentences: it builds their similarity
    matrix)."""
    needles = os.path.join(args.work, "needles-2")
    print(f"\nScale: {args.sentences}-sentence summaries of one long document (the held-out manuals, "
          "the retrieval benchmark's text), release build, one worker:\n")
    print("| document | tokens | analysis s | summary s | peak RSS MiB (with the summary) |")
    print("|---|---:|---:|---:|---:|")
    for name in ["manuals-1M", "manuals-4M"]:
        path = os.path.join(needles, name + ".txt")
        if not os.path.exists(path):
            sys.exit(f"missing {path}: run `make bench` (Benchmarks/needles.py writes it)")
        run = subprocess.run(["/usr/bin/time", "-f", "%M", os.path.join(args.build, "tome-bench"), "summarize", path, str(args.sentences)],
                             check=True, capture_output=True, text=True)
        out = json.loads(run.stdout)
        rss = int(run.stderr.strip().splitlines()[-1]) / 1024
        print(f"| {name} | {out['tokens']:,} | {out['analysis_seconds']:.2f} | {out['summary_seconds']:.2f} | {rss:.0f} |")
    sentences = sentences_of(open(os.path.join(needles, "manuals-1M.txt"), encoding="utf-8").read())
    spent, n, done = 0.0, 500, []
    while n <= len(sentences):
        if done and spent + done[-1][1] * (n / done[-1][0]) ** 2 > args.lexrank_budget:
            break
        _, seconds = sumy_summaries(sentences[:n], args.sentences, methods=("LexRank",))["LexRank"]
        spent += seconds
        done.append((n, seconds, sum(len(s.split()) for s in sentences[:n])))
        n *= 2
    if done:
        n, seconds, words = done[-1]
        whole = seconds * (len(sentences) / n) ** 2
        print(f"\nLexRank within {args.lexrank_budget:.0f} s of CPU: " + ", ".join(f"{k:,} sentences {t:.1f} s" for k, t, _ in done)
              + f". The largest, {n:,} sentences (~{words:,} words), took {seconds:.1f} s; the 1M-token document has "
              f"{len(sentences):,} sentences, ~{whole / 3600:.1f} h at that rate (quadratic).")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--corpus", default=os.path.join(HERE, "summaries", "corpus.json"))
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=6)
    parser.add_argument("--set", default="report", choices=["report", "tune", "all"])
    parser.add_argument("--root", default="/", help="where the packages' files are (their .debs unpacked with dpkg -x ROOT/PACKAGE, say)")
    parser.add_argument("--per-package-root", action="store_true", help="ROOT/PACKAGE/PATH rather than ROOT/PATH")
    parser.add_argument("--tome", nargs="*", default=[], help="tuning only: SummaryParameters overrides, e.g. leadWeight=4")
    parser.add_argument("--tome-only", action="store_true", help="tuning only: skip sumy (the slow part)")
    parser.add_argument("--scale", action="store_true", help="also: summary time and RSS at 1M and 4M tokens, LexRank's reach")
    parser.add_argument("--work", default="var/bench")
    parser.add_argument("--lexrank-budget", type=float, default=600, help="CPU seconds LexRank may spend in --scale")
    args = parser.parse_args()
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)

    corpus = json.load(open(args.corpus))
    random.Random(args.seed).shuffle(corpus)
    half = len(corpus) // 2
    chosen = {"tune": corpus[:half], "report": corpus[half:], "all": corpus}[args.set]
    work = tempfile.mkdtemp(prefix="tome-summaries-")
    methods = ["Tome", "LexRank", "TextRank", "lead-N"]
    scores = {m: {"rouge1": [], "rouge2": [], "rougeL": []} for m in methods}
    seconds = {m: [] for m in methods}
    used, skipped = 0, []
    for entry in chosen:
        pdf = os.path.join(args.root, entry["package"] if args.per_package_root else "", entry["pdf"])
        if not os.path.exists(pdf):
            sys.exit(f"missing {pdf}: run `make bench`, which installs {entry['package']}")
        text = subprocess.run([os.path.join(args.build, "tomed"), "extract", pdf], capture_output=True, text=True).stdout
        found = find_abstract(text)
        if not found:
            skipped.append(entry["pdf"])
            continue
        abstract, rest = found
        # Ligatures (ﬁ, ﬂ) as letters, in the reference and in the text alike.
        abstract, rest = unicodedata.normalize("NFKC", abstract), unicodedata.normalize("NFKC", rest)
        sentences = sentences_of(rest)
        if len(sentences) < 3 * args.sentences:
            skipped.append(entry["pdf"])
            continue
        path = os.path.join(work, f"{used:03d}.txt")
        with open(path, "w") as f:
            f.write(rest)
        tome = json.loads(subprocess.run([os.path.join(args.build, "tome-bench"), "summarize", path, str(args.sentences)] + args.tome,
                                         check=True, capture_output=True, text=True).stdout)
        summaries = {"Tome": (tome["sentences"], tome["summary_seconds"]), "lead-N": (sentences[:args.sentences], 0.0)}
        if not args.tome_only:
            summaries.update(sumy_summaries(sentences, args.sentences))
        for method, (chosen_sentences, spent) in summaries.items():
            result = scorer.score(abstract, " ".join(chosen_sentences))
            for key in scores[method]:
                scores[method][key].append(result[key].fmeasure)
            seconds[method].append(spent)
        used += 1
    print(f"summaries of {args.sentences} sentences against the documents' own abstracts: {used} documents "
          f"({args.set} half of {len(corpus)}, seed {args.seed}); {len(skipped)} skipped (no abstract found, or too short)")
    print(f"{'method':<9} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-L':>8} {'CPU s/doc':>10}")
    for m in methods:
        mean = lambda xs: statistics.mean(xs) if xs else float("nan")
        print(f"{m:<9} {mean(scores[m]['rouge1']):>8.4f} {mean(scores[m]['rouge2']):>8.4f} {mean(scores[m]['rougeL']):>8.4f} {mean(seconds[m]):>10.4f}")
    if used and scores["LexRank"]["rouge2"] and statistics.mean(scores["LexRank"]["rouge2"]) > 0:
        r2 = statistics.mean(scores["Tome"]["rouge2"]) / statistics.mean(scores["LexRank"]["rouge2"])
        speed = sum(seconds["LexRank"]) / max(sum(seconds["Tome"]), 1e-9)
        print(f"Tome's ROUGE-2 is {r2:.2f}x LexRank's, at {speed:.0f}x its speed (CPU time)")
    if args.scale:
        scale(args)


if __name__ == "__main__":
    main()
