#!/usr/bin/env python3
"""One question asked of a whole spool: a thousand documents, each holding
one near-identical needle, some of them inside a contents line.

The documents are pieces of the held-out manuals (benchlib.REPORT), cut at
line breaks into ~1,500 tokens each and drawn from a seed; each gets
one needle "One of the special magic numbers for Brastel is: 5123259."
(every place name invented, so no answer is there by chance). In a share
of them (--contents-share) the needle sits inside a contents line, between
dot leaders ("2.4 Tuning . . . . One of the special magic numbers for
Brastel is: 5123259. . . . 17"), where a spool's documents put it when a
needle was pasted into their contents: a unit whose kind makes it a poor
answer, yet the only one holding the question's rarest word. The others
are in prose, at a sentence end.

Each question ("What is the special magic number for Brastel?") is asked
of all the documents at once (`tome-bench retrieval --corpus`: the Engram
memory counts them all), Tome sparse and dense, beside FTS5 bm25 over every
document's blocks. A first answer is right when it is the question's
document's needle. Reported by where the needle sits, with sparse = dense.

Usage: corpus_needles.py --build .build/release --seed 5 [--documents 1000]
                         [--questions 60] [--contents-share 0.25] [--work var/bench]
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess

import benchlib
from needles import bytes_per_token, insert, invented


def pieces(text, tokens, per_byte):
    """The text cut at line breaks into pieces of about `tokens` tokens."""
    want = int(tokens * per_byte)
    out, current = [], []
    size = 0
    for line in text.split("\n"):
        current.append(line)
        size += len(line.encode()) + 1
        if size >= want:
            out.append("\n".join(current))
            current, size = [], 0
    if size >= want // 2:
        out.append("\n".join(current))
    return out


def contents_line(rng, text, needle):
    """A contents line holding the needle between dot leaders, put at a line start of `text`."""
    words = [w for w in re.findall(r"[A-Za-z]{4,}", text)] or ["Section"]
    title = " ".join(rng.choice(words).capitalize() for _ in range(rng.randint(1, 3)))
    line = f"{rng.randint(1, 12)}.{rng.randint(1, 9)} {title} " + ". " * rng.randint(4, 12) + needle + " " + \
        ". " * rng.randint(3, 10) + str(rng.randint(3, 400))
    starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    at = rng.choice(starts)
    return text[:at] + line + "\n" + text[at:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=1500, help="tokens per document")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--contents-share", type=float, default=0.25)
    parser.add_argument("--work", default="var/bench")
    args = parser.parse_args()
    tomed = os.path.join(args.build, "tomed")
    os.makedirs(args.work, exist_ok=True)
    rng = random.Random(args.seed)
    pool = []
    for name, (_, files) in sorted(benchlib.REPORT.items()):
        with open(benchlib.extract(tomed, name, files, args.work), encoding="utf-8") as f:
            text = json.load(f)["text"]
        pool += [(name, p) for p in pieces(text, args.tokens, bytes_per_token(text))]
    chosen = rng.sample(pool, min(args.documents, len(pool)))
    out = os.path.join(args.work, f"corpus-needles-{args.seed}-{len(chosen)}")
    os.makedirs(out, exist_ok=True)
    places, names, documents = set(), [], []
    while len(places) < len(chosen):
        places.add(invented(rng))
    places = sorted(places)
    rng.shuffle(places)
    for i, ((source, text), place) in enumerate(zip(chosen, places)):
        number = str(rng.randint(1_000_000, 9_999_999))
        needle = f"One of the special magic numbers for {place} is: {number}."
        in_contents = rng.random() < args.contents_share
        if in_contents:
            text = contents_line(rng, text, needle)
        elif re.search(r"(?<=[a-z0-9)\"'][.!?])\s+(?=[A-Z])", text):
            text = insert(rng, text, [needle])
        else:  # a piece without a sentence end (a table, a list of symbols): the needle is a line of its own
            at = rng.choice([0] + [m.end() for m in re.finditer(r"\n", text)])
            text = text[:at] + needle + "\n" + text[at:]
        doc = f"d{i:04d}-{source}"
        path = os.path.join(out, doc + ".txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        documents.append(f"{doc}={path}")
        names.append((doc, place, number, "contents" if in_contents else "prose"))
    asked = []
    for where in ("contents", "prose"):
        group = [n for n in names if n[3] == where]
        for doc, place, number, _ in rng.sample(group, min(args.questions // 2, len(group))):
            asked.append({"id": f"{doc}-{where}", "document": doc, "question": f"What is the special magic number for {place}?",
                          "answers": [number], "kind": where})
    questions = os.path.join(out, "questions.jsonl")
    with open(questions, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(q) + "\n" for q in asked)
    run = subprocess.run([os.path.join(args.build, "tome-bench"), "retrieval", questions, *documents, "--corpus"],
                         check=True, capture_output=True, text=True)
    lines = [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]
    first = lines[0] if lines else {}
    print(f"{first.get('documents', 0)} documents, {first.get('tokens', 0):,} tokens, {first.get('blocks', 0):,} blocks "
          f"(seed {args.seed}; analysis {first.get('analysis_s', 0):.1f} s); {len(lines)} questions asked of them all\n")
    print("| needle in | questions | Tome sparse first | Tome dense first | FTS5 bm25 first |")
    print("|---|---:|---:|---:|---:|")
    for where in ("contents", "prose"):
        group = [l for l in lines if l["kind"] == where]
        print(f"| {where} line | {len(group)} | {sum(l['sparse_sentence'] for l in group)} | "
              f"{sum(l['dense_sentence'] for l in group)} | {sum(l['fts5_block'] for l in group)} |")
    agree = sum(l["agree_k"] and l["similarity_agree"] for l in lines)
    print(f"\nsparse = dense (every answer, its place and score) on {agree}/{len(lines)}; bound met on "
          f"{sum(l['exact'] for l in lines)}/{len(lines)}; blocks read p50 {statistics.median(l['blocks_selected'] for l in lines):.0f}")
    for key, label in (("sparse_ms", "Tome sparse"), ("dense_ms", "Tome dense"), ("fts5_ms", "FTS5")):
        print(f"{label}: p50 {statistics.median(l[key] for l in lines):.2f} ms")
    wrong = [l for l in lines if not l["sparse_sentence"]]
    for l in wrong[:10]:
        print(f"  wrong ({l['kind']}): {l['id']}: {l['sparse_document']}: {l['sparse_answer'][:100]}")


if __name__ == "__main__":
    main()
