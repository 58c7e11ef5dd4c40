#!/usr/bin/env python3
"""Asking by words alone vs by words and meaning (the semantic head), side by side.

Every question is asked in one `tome-bench retrieval` process per mode — the
documents analysed without the model (words) and with it (`--model`,
words and meaning) — and beside SQLite FTS5 over the same blocks:

1. paraphrase needles: needles.py's tasks over Perl's documentation at
   128K, 1M and 4M tokens, drawn from `--seed`, with the paraphrase pairs
   of `--pairs` (Benchmarks/paraphrase_pairs.jsonl: facts asked in other
   words, which share no content word with their question). The semantic
   head's parameters were chosen on the tune pairs (seed 11, 128K and 1M);
   report on the report pairs with another seed. The other tasks (single,
   multikey, variables, rareterm, sentence) show what meaning changes for
   questions in the document's words.
2. real manuals: the held-out questions (Benchmarks/questions/report-*.jsonl),
   78 in the manuals' words and 36 in the asker's own words on three
   manuals no parameter was chosen on (report-own.jsonl; `--set tune`
   asks the tuning questions instead).

A first answer holds the fact when its sentence (needles) or its passage
(manuals) holds one of the answer strings; FTS5's when its block does.
Sparse = dense is checked on every question in both modes.

A third mode, deep (opt-in: `"deep": true`, `tome ask --deep`), reads the
ten best answers of words and meaning again with the model's full encoder
and reorders them (`DeepReader`; its weight a = 3 and depth 10 were chosen
on the tune pairs and tuning questions: `tome-bench retrieval --deep-weight A
--deep-depth N`). Its latency is in the same table: it is a few hundred
milliseconds, not one.

Usage: Benchmarks/meaning.py --model var/models/all-MiniLM-L6-v2 [--build .build/release]
       [--set report|tune] [--seed 23] [--sizes 128000,1000000,4000000] [--work DIR]
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(bench, questions, documents, model=None, deep=False):
    args = [bench, "retrieval", questions] + [f"{n}={p}" for n, p in documents.items()] + (["--model", model] if model else [])
    args += ["--deep"] if deep else []
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return {r["id"]: r for r in map(json.loads, out.splitlines())}


def table(title, groups, words, meant, deep, field):
    print(f"\n{title}\n")
    print("| group | questions | words: first holds it | words and meaning | deep (opt-in) | FTS5 | sparse = dense (meaning / deep) | bound met | "
          "words p50 ms | meaning p50 / p99 ms | deep p50 / p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, ids in groups:
        ids = [i for i in ids if i in words and i in meant and i in deep]
        w, m, d = [words[i] for i in ids], [meant[i] for i in ids], [deep[i] for i in ids]
        if not m:
            continue
        n = len(m)
        print(f"| {label} | {n} | {sum(r[field] for r in w)} | **{sum(r[field] for r in m)}** | {sum(r[field] for r in d)} "
              f"| {sum(r['fts5_block'] for r in m)} "
              f"| {sum(r['agree_k'] for r in m)}/{n} / {sum(r['agree_k'] for r in d)}/{n} | {sum(r['exact'] for r in m)}/{n} "
              f"| {statistics.median(r['sparse_ms'] for r in w):.2f} "
              f"| {statistics.median(r['sparse_ms'] for r in m):.2f} / {benchlib.percentile([r['sparse_ms'] for r in m], .99):.2f} "
              f"| {statistics.median(r['sparse_ms'] for r in d):.0f} / {benchlib.percentile([r['sparse_ms'] for r in d], .99):.0f} |")
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the semantic head's model folder (make model)")
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--set", choices=["report", "tune"], default="report")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--sizes", default="128000,1000000,4000000")
    parser.add_argument("--work", help="keep extracted documents here between runs")
    args = parser.parse_args()
    tomed, bench = os.path.join(args.build, "tomed"), os.path.join(args.build, "tome-bench")
    work = args.work or tempfile.mkdtemp(prefix="tome-meaning-")
    os.makedirs(work, exist_ok=True)
    print(f"{args.set} set; seed {args.seed}; {os.cpu_count()} cores; release build; model {args.model}")

    # 1. Needles, the paraphrase pairs among them.
    synthetic = os.path.join(work, f"meaning-needles-{args.set}-{args.seed}")
    subprocess.run([sys.executable, os.path.join(HERE, "needles.py"), f"prose={benchlib.prose_haystack(tomed, work)}",
                    "--out", synthetic, "--seed", str(args.seed), "--sizes", args.sizes, "--paraphrase", args.set],
                   check=True, capture_output=True)
    questions = os.path.join(synthetic, "questions.jsonl")
    asked = [json.loads(line) for line in open(questions)]
    docs = {f[:-4]: os.path.join(synthetic, f) for f in sorted(os.listdir(synthetic)) if f.endswith(".txt")}
    words, meant, deep = run(bench, questions, docs), run(bench, questions, docs, args.model), run(bench, questions, docs, args.model, deep=True)
    by_group = collections.defaultdict(list)
    for q in asked:
        by_group[(q["task"], q["document"].split("-")[-1])].append(q["id"])
    order = ["paraphrase", "single", "multikey", "variables", "rareterm", "sentence"]
    sizes = sorted({s for (_, s) in by_group}, key={"128K": 0, "1M": 1, "4M": 2}.get)
    groups = [(f"{t} {s}", by_group[(t, s)]) for t in order for s in sizes if by_group[(t, s)]]
    table(f"Needles over Perl's documentation (the first answer's sentence holds the fact), {args.set} pairs:",
          groups + [("all but paraphrase", [q["id"] for q in asked if q["task"] != "paraphrase"])], words, meant, deep, "sparse_sentence")
    analysis = collections.defaultdict(dict)
    for mode, rows in (("words", words), ("meaning", meant)):
        for r in rows.values():
            analysis[r["document"]][mode] = r["analysis_s"]
    print("\nAnalysis time (index, experts, summaries; one process, 2 cores), words vs words and meaning:\n")
    print("| document | words s | words and meaning s | ratio |")
    print("|---|---:|---:|---:|")
    for d, t in sorted(analysis.items(), key=lambda kv: kv[1]["words"]):
        print(f"| {d} | {t['words']:.2f} | {t['meaning']:.2f} | {t['meaning'] / t['words']:.2f}x |")

    # 2. Real manuals.
    manuals = dict(benchlib.REPORT, **benchlib.OWN_WORDS) if args.set == "report" else benchlib.TUNE
    documents = {name: benchlib.extract(tomed, name, paths, work) for name, (_, paths) in manuals.items()}
    files = sorted(f for f in os.listdir(os.path.join(HERE, "questions")) if f.startswith(args.set))
    questions = os.path.join(work, f"meaning-{args.set}.jsonl")
    asked = []
    with open(questions, "w") as out:
        for f in files:
            for line in open(os.path.join(HERE, "questions", f)):
                if line.strip() and json.loads(line)["document"] in documents:
                    out.write(line)
                    asked.append(json.loads(line))
    words, meant = run(bench, questions, documents), run(bench, questions, documents, args.model)
    deep = run(bench, questions, documents, args.model, deep=True)
    groups = [(d, [q["id"] for q in asked if q["document"] == d]) for d in documents]
    own = [q["id"] for q in asked if q.get("wording") == "own"]
    table(f"Questions written by reading real manuals, {args.set} set (the first answer's passage holds the fact):",
          groups + [("in the manuals' words", [q["id"] for q in asked if q.get("wording") != "own"]),
                    ("in the asker's own words", own), ("all", [q["id"] for q in asked])], words, meant, deep, "sparse_passage")


if __name__ == "__main__":
    main()
