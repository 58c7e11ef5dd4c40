#!/usr/bin/env python3
"""Retrieval quality: Tome sparse, Tome dense and SQLite FTS5 side by side.

Three sets of questions, all asked in one process by `tome-bench retrieval`
(each document its own corpus; FTS5 indexes the same 64-token blocks Tome
makes and is asked the question's words OR-ed, bm25-ranked):

1. manuals: questions written by reading real Debian manuals, with the
   strings a right answer holds (Benchmarks/questions/). `--set report`
   (the default) asks the held-out ones; `--set tune` the ones the engine's
   parameters were chosen on.
2. manuals-4M: the same held-out questions over one document of ~4M tokens
   made of all the held-out manuals (repeated to reach the size).
   With and without the answer expert (`--set answerLift=1`), by the
   kind of value the question asks for.
3. synthetic: needles.py's tasks (single, multikey, variables, rareterm,
   sentence) over Perl's documentation (prose) and the held-out manuals, at
   128K, 1M and 4M tokens, drawn from `--seed` (parameters were tuned on
   seed 1; report on another).

A first answer "holds the fact" when its passage (Tome) or its block, or its
block with both neighbours (FTS5), holds one of the answer strings.

Usage: Benchmarks/retrieval.py [--build .build/release] [--set report|tune] [--seed 2] [--work DIR]
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


def run(bench, questions, documents, extra=()):
    args = [bench, "retrieval", questions] + [f"{n}={p}" for n, p in documents.items()] + list(extra)
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def table(title, groups):
    """groups: [(label, rows)] -> one markdown table."""
    print(f"\n{title}\n")
    print("| task | questions | Tome sparse: sentence | Tome sparse: passage | Tome dense: passage | FTS5 block | FTS5 block ±1 "
          "| sparse = dense (first) | bound met | Tome sparse ms p50 / p99 | dense ms p50 | FTS5 ms p50 | blocks read (median of) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, rows in groups:
        n = len(rows)

        def count(k):
            return sum(1 for r in rows if r[k])

        sp = [r["sparse_ms"] for r in rows]
        print(f"| {label} | {n} | {count('sparse_sentence')} | **{count('sparse_passage')}** | {count('dense_passage')} | {count('fts5_block')} "
              f"| {count('fts5_window')} | {count('agree')}/{n} | {count('exact')}/{n} | {benchlib.percentile(sp, .5):.2f} / {benchlib.percentile(sp, .99):.2f} "
              f"| {statistics.median(r['dense_ms'] for r in rows):.1f} | {statistics.median(r['fts5_ms'] for r in rows):.2f} "
              f"| {statistics.median(r['blocks_selected'] for r in rows):.0f} of {statistics.median(r['blocks'] for r in rows):.0f} |")
    sizes = [(statistics.median(r["passage_bytes"] for r in rows), statistics.median(r["fts5_bytes"] for r in rows),
              statistics.median(r["fts5_window_bytes"] for r in rows)) for _, rows in groups]
    print(f"\nMedian bytes: Tome passage {statistics.median(s[0] for s in sizes):.0f}, FTS5 block {statistics.median(s[1] for s in sizes):.0f}, "
          f"FTS5 block ±1 {statistics.median(s[2] for s in sizes):.0f}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--set", choices=["report", "tune"], default="report")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--work", help="keep extracted documents here between runs")
    args = parser.parse_args()
    tomed, bench = os.path.join(args.build, "tomed"), os.path.join(args.build, "tome-bench")
    work = args.work or tempfile.mkdtemp(prefix="tome-retrieval-")
    os.makedirs(work, exist_ok=True)
    manuals = benchlib.REPORT if args.set == "report" else benchlib.TUNE
    files = sorted(f for f in os.listdir(os.path.join(HERE, "questions")) if f.startswith(args.set) and f != "report-own.jsonl")
    questions = os.path.join(work, f"{args.set}.jsonl")
    with open(questions, "w") as out:
        for f in files:
            with open(os.path.join(HERE, "questions", f)) as q:
                # Only this set's manuals (report-own.jsonl's are meaning.py's).
                out.writelines(line for line in q if line.strip() and json.loads(line)["document"] in manuals)
    documents = {name: benchlib.extract(tomed, name, paths, work) for name, (_, paths) in manuals.items()}
    asked = [json.loads(line) for line in open(questions)]
    print(f"{len(asked)} {args.set} questions from {', '.join(files)}; {len(documents)} manuals; seed {args.seed}; "
          f"{os.cpu_count()} cores; release build")

    rows = run(bench, questions, documents)
    by_doc = collections.defaultdict(list)
    for r in rows:
        by_doc[r["document"]].append(r)
    groups = [(f"{d} ({by_doc[d][0]['tokens'] // 1000}K tokens)", by_doc[d]) for d in documents if by_doc[d]]
    table("Hand-written questions, one manual at a time:", groups + [("all", rows)])

    # The answer expert: the same questions without it (lift 1), by the kind of value each asks for.
    plain = {r["id"]: r for r in run(bench, questions, documents, ["--set", "answerLift=1"])}
    print("\nThe answer expert (when → dates, who → names, what does X mean → definitions, lifted; how much/many → quantities, read, not lifted): "
          "first passage holds the fact, with and without it, by the kind the router read in the question:\n")
    print("| answer kind | questions | with the answer expert | without | sparse = dense (with) | Tome sparse ms p50 with / without |")
    print("|---|---:|---:|---:|---:|---:|")
    kinds = sorted({r["answer_kind"] for r in rows}, key=lambda k: (k == "", k))
    for kind in kinds + ["all"]:
        group = [r for r in rows if kind == "all" or r["answer_kind"] == kind]
        print(f"| {kind or 'none (phrases alone)'} | {len(group)} | {sum(r['sparse_passage'] for r in group)} | "
              f"{sum(plain[r['id']]['sparse_passage'] for r in group)} | {sum(r['agree'] for r in group)}/{len(group)} | "
              f"{benchlib.percentile([r['sparse_ms'] for r in group], .5):.2f} / {benchlib.percentile([plain[r['id']]['sparse_ms'] for r in group], .5):.2f} |")

    # The same questions over one ~4M-token document of all the manuals.
    big = os.path.join(work, "manuals-4M.json")
    copies = benchlib.concatenate(list(documents.values()), big, min_bytes=int(4_000_000 * 4.3))
    big_questions = os.path.join(work, "manuals-4M.jsonl")
    with open(big_questions, "w") as out:
        for q in asked:
            out.write(json.dumps(dict(q, document="manuals-4M")) + "\n")
    big_rows = run(bench, big_questions, {"manuals-4M": big})
    table(f"The same questions over all {len(documents)} manuals as one document "
          f"({big_rows[0]['tokens'] / 1e6:.1f}M tokens, the manuals {copies}x):", [("all", big_rows)])

    # Synthetic tasks over prose and manuals.
    haystacks = {"prose": benchlib.prose_haystack(tomed, work), "manuals": os.path.join(work, "manuals.txt")}
    with open(haystacks["manuals"], "w", encoding="utf-8") as out:
        for p in documents.values():
            with open(p, encoding="utf-8") as f:
                out.write(json.load(f)["text"] + "\n\n")
    synthetic = os.path.join(work, f"needles-{args.seed}")
    subprocess.run([sys.executable, os.path.join(HERE, "needles.py")] + [f"{k}={v}" for k, v in haystacks.items()]
                   + ["--out", synthetic, "--seed", str(args.seed)], check=True, capture_output=True)
    tasks = {json.loads(line)["id"]: json.loads(line)["task"] for line in open(os.path.join(synthetic, "questions.jsonl"))}
    docs = {f[:-4]: os.path.join(synthetic, f) for f in sorted(os.listdir(synthetic)) if f.endswith(".txt")}
    syn_rows = run(bench, os.path.join(synthetic, "questions.jsonl"), docs)
    by_task = collections.defaultdict(list)
    for r in syn_rows:
        by_task[(tasks[r["id"]], r["document"].split("-")[-1])].append(r)
    order = ["single", "multikey", "variables", "rareterm", "sentence"]
    size_order = {"128K": 0, "1M": 1, "4M": 2}
    groups = [(f"{t} {s}", by_task[(t, s)]) for t in order for s in sorted({s for (_, s) in by_task}, key=size_order.get) if by_task[(t, s)]]
    table(f"Synthetic tasks, seed {args.seed}, prose and manuals together:", groups + [("all", syn_rows)])


if __name__ == "__main__":
    main()
