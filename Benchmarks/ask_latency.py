#!/usr/bin/env python3
"""`ask` through the real daemon: warm latency (the daemon's own elapsed_ms),
sparse vs dense, on a 1M-token manual and a 1M-token prose document.

For each document the release tomed is started on a scratch state dir, the
file is dropped into its spool (a PDF goes through the whole pipeline, so
its outline is used), and once it is done each question is asked once to
warm the cache, then `--rounds` times sparse and once dense, k = 5. The
document is the only one in the store. Agreement: the same first answer
(byte range) in both modes. With `--model`, each question is then asked
once deep (the encoder's weights read at the first), and the daemon's RSS
is taken again after them.

Usage: Benchmarks/ask_latency.py NAME=FILE=QUESTIONS.jsonl... [--build .build/release] [--rounds 3] [--model DIR]
(QUESTIONS.jsonl: the questions whose "document" is NAME.)
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib  # noqa: E402


def measure(build, name, path, questions_file, rounds, model_dir=""):
    questions = [q["question"] for q in map(json.loads, open(questions_file)) if q["document"] == name]
    daemon = benchlib.Daemon(build, workers=1, model_dir=model_dir)
    try:
        target = "document" + (".pdf" if path.endswith(".pdf") else ".txt")
        shutil.copy(path, os.path.join(daemon.spool, "." + target + ".part"))
        started = time.monotonic()
        os.rename(os.path.join(daemon.spool, "." + target + ".part"), os.path.join(daemon.spool, target))
        doc = daemon.wait_done(target)
        analysed = time.monotonic() - started
        if doc["status"] != "done":
            sys.exit(f"{name}: {doc}")
        ask = f"/v1/documents/{doc['id']}/ask"

        def post(question, mode, deep=False):
            status, body = benchlib.request(daemon.sock, "POST", ask, {"question": question, "k": 5, "mode": mode, "deep": deep})
            return json.loads(body)

        for q in questions:
            post(q, "sparse")  # warm: index and text cached, pages of the corpus memory touched
        sparse = [post(q, "sparse") for _ in range(rounds) for q in questions]
        dense = [post(q, "dense") for q in questions]
        first = lambda r: (r["answers"][0]["start"], r["answers"][0]["end"]) if r["answers"] else None
        agree = sum(first(s) == first(d) for s, d in zip(sparse[:len(questions)], dense))
        sp = [r["stats"]["elapsed_ms"] for r in sparse]
        de = [r["stats"]["elapsed_ms"] for r in dense]
        rss = daemon.rss_mb()
        # With the model: each question once more, deep (the encoder read at the first), then the daemon's RSS.
        deep = [post(q, "sparse", deep=True) for q in questions] if model_dir else []
        dp = [r["stats"]["elapsed_ms"] for r in deep]
        return {
            "name": name, "tokens": doc["tokens"], "blocks": sparse[0]["stats"]["blocks_scanned"], "questions": len(questions),
            "asks": len(sp), "p50": benchlib.percentile(sp, .5), "p99": benchlib.percentile(sp, .99),
            "dense_p50": benchlib.percentile(de, .5), "dense_p99": benchlib.percentile(de, .99),
            "selected": statistics.median(r["stats"]["blocks_selected"] for r in sparse),
            "exact": sum(r["stats"]["exact"] for r in sparse), "agree": agree,
            "meaning": sum(r["stats"].get("meaning", False) for r in sparse), "seconds": analysed, "rss": rss,
            "deep_p50": benchlib.percentile(dp, .5) if dp else 0, "deep_p99": benchlib.percentile(dp, .99) if dp else 0,
            "deep_asks": sum(r["stats"].get("deep", False) for r in deep), "deep_rss": daemon.rss_mb() if dp else 0,
        }
    finally:
        daemon.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("documents", nargs="+", help="NAME=FILE=QUESTIONS.jsonl")
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default="", help="the semantic head's model folder: each document is then measured by words "
                        "only and with meaning, side by side (analysis time, ask latency, daemon RSS)")
    args = parser.parse_args()
    print("| document | asks by | tokens | questions (asks) | sparse p50 ms | sparse p99 ms | dense p50 ms | dense/sparse p50 "
          "| blocks read (median of) | bound met | same first answer | spool to done s | daemon RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for spec in args.documents:
        name, path, questions = spec.split("=", 2)
        for model in ([""] + ([args.model] if args.model else [])):
            r = measure(args.build, name, path, questions, args.rounds, model)
            how = "words and meaning" if model else "words"
            if model and r["meaning"] != r["asks"]:
                how += f" ({r['meaning']} of {r['asks']} used it)"
            print(f"| {r['name']} | {how} | {r['tokens']:,} | {r['questions']} ({r['asks']}) | {r['p50']:.2f} | {r['p99']:.2f} | {r['dense_p50']:.1f} "
                  f"| {r['dense_p50'] / r['p50']:.0f}x | {r['selected']:.0f} of {r['blocks']:,} | {r['exact']}/{r['asks']} "
                  f"| {r['agree']}/{r['questions']} | {r['seconds']:.1f} | {r['rss']:.0f} |")
            if model:
                print(f"| {r['name']} | deep ({r['deep_asks']} of {r['questions']}) | {r['tokens']:,} | {r['questions']} ({r['questions']}) "
                      f"| {r['deep_p50']:.0f} | {r['deep_p99']:.0f} | | | | | | | {r['deep_rss']:.0f} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
