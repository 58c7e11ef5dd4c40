#!/usr/bin/env python3
"""What matching by meaning would add to `ask` — an experiment, not part of Tome.

Tome's ask is lexical: a sentence scores the question's words it holds. The
held-out manual questions it misses mostly share few words with their answer
("how big are the redzones" / "overruns of up to 16 bytes"). This script
measures how much a pretrained semantic model, the one reachable from the
build machine (WordLlama's 256-dimension static token vectors, distilled
from LLM embeddings, on PyPI with its weights: `pip install wordllama`),
would add if it reordered the ten best answers Tome finds:

    score(c) = similarity(c) / max similarity + a · cos(q, sentence(c)) + b · cos(q, passage(c))

(q, sentence, passage: WordLlama's mean-pooled, normalised embeddings).
a and b are chosen on the tuning questions and reported on the held-out
ones. `base` is Tome's first answer among the ten (k = 10: the reordering
depth differs from the k = 5 of Benchmarks/retrieval.py by a few questions);
`oracle` counts the questions whose ten answers hold the fact anywhere.

Usage: Benchmarks/semantic_rerank.py [--build .build/release] [--work DIR]
"""
import argparse
import json
import logging
import os
import pathlib
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402
import retrieval  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GRID = [0, 0.25, 0.5, 1, 1.5, 2]


def load_wordllama():
    """WordLlama from its wheel alone: 0.4 looks for its tokenizer in
    `wordllama/tokenizer/` but ships it in `wordllama/tokenizers/`, then in
    the cache's `tokenizers/`, then tries Hugging Face (unreachable here);
    a cache whose `tokenizers/` is the shipped folder avoids the download."""
    try:
        import numpy  # noqa: F401
        import wordllama
    except ImportError:
        sys.exit("semantic_rerank.py needs WordLlama: pip install wordllama")
    logging.disable(logging.INFO)
    cache = pathlib.Path(tempfile.mkdtemp(prefix="wordllama-"))
    (cache / "tokenizers").symlink_to(pathlib.Path(wordllama.__file__).parent / "tokenizers")
    return wordllama.WordLlama.load(cache_dir=cache, disable_download=True)


def rows_of(bench, tomed, which, work):
    manuals = benchlib.REPORT if which == "report" else benchlib.TUNE
    files = sorted(f for f in os.listdir(os.path.join(HERE, "questions")) if f.startswith(which))
    path = os.path.join(work, f"{which}.jsonl")
    with open(path, "w") as out:
        for f in files:
            with open(os.path.join(HERE, "questions", f)) as q:
                out.write(q.read())
    questions = {json.loads(line)["id"]: json.loads(line)["question"] for line in open(path)}
    documents = {name: benchlib.extract(tomed, name, paths, work) for name, (_, paths) in manuals.items()}
    os.environ["TOME_BENCH_DEBUG"] = "1"  # each row then carries the ten best answers, with their passages
    rows = [r for r in retrieval.run(bench, path, documents) if r.get("top10")]
    return rows, questions


def features(model, rows, questions):
    import numpy as np
    q = model.embed([questions[r["id"]] for r in rows], norm=True)
    out = []
    for i, r in enumerate(rows):
        sentences = model.embed([t["text"] for t in r["top10"]], norm=True)
        passages = model.embed([t["context"] for t in r["top10"]], norm=True)
        similarity = np.array([t["similarity"] for t in r["top10"]])
        out.append((similarity / similarity.max(), sentences @ q[i], passages @ q[i]))
    return out


def first_holds(rows, feats, a, b):
    import numpy as np
    return sum(r["top10"][int(np.argmax(s + a * cs + b * cp))]["holds"] for r, (s, cs, cp) in zip(rows, feats))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--work", help="keep extracted documents here between runs")
    args = parser.parse_args()
    tomed, bench = os.path.join(args.build, "tomed"), os.path.join(args.build, "tome-bench")
    work = args.work or tempfile.mkdtemp(prefix="tome-semantic-")
    os.makedirs(work, exist_ok=True)
    model = load_wordllama()
    results = {}
    for which in ("tune", "report"):
        rows, questions = rows_of(bench, tomed, which, work)
        feats = features(model, rows, questions)
        results[which] = (rows, {(a, b): first_holds(rows, feats, a, b) for a in GRID for b in GRID})
    tune_rows, tune = results["tune"]
    # The tuning questions choose (a, b); on a tie the smaller weights.
    chosen = max(tune, key=lambda ab: (tune[ab], -(ab[0] + ab[1]), -ab[0]))
    print(f"Chosen on the {len(tune_rows)} tuning questions: a = {chosen[0]}, b = {chosen[1]}\n")
    print("| questions | n | Tome's first of ten | reordered by WordLlama | best of the grid (not chosen: seen) | any of the ten |")
    print("|---|---:|---:|---:|---:|---:|")
    for which, label in (("tune", "tuning (chose a, b)"), ("report", "held-out")):
        rows, grid = results[which]
        print(f"| {label} | {len(rows)} | {grid[(0, 0)]} | **{grid[chosen]}** | {max(grid.values())} "
              f"| {sum(any(t['holds'] for t in r['top10']) for r in rows)} |")


if __name__ == "__main__":
    main()
