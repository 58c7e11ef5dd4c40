#!/usr/bin/env python3
"""Extraction experts: precision and recall on hand-labelled real documents,
beside peers from PyPI, and their speed on 1M-token documents, routed and
unrouted.

Documents: Benchmarks/extractions/docs/*.txt, excerpts of 32 real documents
(invoices and receipts from invoice2data's and factur-x's sample files,
licences and agreements from Debian and PyPI packages, R package vignettes,
Debian manuals, release histories and changelogs in English, German, French
and Spanish), each labelled by reading it: Benchmarks/extractions/labels/
(every distinct date, amount, percentage, e-mail, URL, phone, name,
definition, and the document's own keywords; the rules are in
SOURCES-a.md and SOURCES-b.md). The split into a tune half and a report
half is drawn from --seed within each category; the experts' rules may be
mended on the tune half only.

A find counts when its normalised value equals a label's: dates as ISO 8601
(a partial label, `2024-03`, is also met by any day of that month, which
only helps the peers: Tome keeps partial dates partial), amounts by value
and (when the label has one) currency, percentages by value, e-mails in
lower case, URLs as written, phones by their digits, names in lower case
with white space folded, definitions by their term. Precision and recall
are over all documents of the set (micro-averaged).

Peers, each on the same text: dateparser's `search_dates` (the label's
language and day/month order given, month and year required), price-parser's
`Price.fromstring` on every line (it reads one price per string; a price
without a currency is not counted, as for the labels), YAKE (top 20, up to
3 words) for key phrases, scored on every document that lists its own
keywords (two; whichever half they fall in).

    python3 Benchmarks/extractions.py --build .build/release --set report
"""

import argparse
import glob
import json
import os
import random
import re
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ["dates", "amounts", "percentages", "emails", "urls", "phones", "names", "definitions"]
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "Rs": "INR", "Rs.": "INR", "CHF": "CHF", "Fr.": "CHF"}


def fold(s):
    return re.sub(r"\s+", " ", s).strip()


def number(s):
    try:
        return Decimal(str(s).replace(",", "")).normalize()
    except (InvalidOperation, ValueError):
        return None


def print_misses(doc, kind, mine, gold):
    """Each find no label matches ("false") and each label no find matches ("missed")."""
    for f in dict.fromkeys(mine):
        if not any(matches(kind, f, g) for g in gold):
            print(f"  {doc} {kind} false: {f}")
    for g in dict.fromkeys(gold):
        if not any(matches(kind, f, g) for f in mine):
            print(f"  {doc} {kind} missed: {g}")


def key(kind, item):
    """The normalised form a find and a label are compared by."""
    if kind == "dates":
        return item.get("value")
    if kind == "amounts":
        return (number(item.get("value")), item.get("currency"))
    if kind == "percentages":
        return number(item.get("value"))
    if kind == "emails":
        return fold(item.get("text", item.get("value", ""))).lower()
    if kind == "urls":
        # A URL holds no white space: a label is its text as printed, line breaks
        # included; a find's value is joined again where a line broke it.
        return re.sub(r"\s+", "", item.get("value", item.get("text", "")))
    if kind == "phones":
        text = item.get("text", item.get("value", "")).replace("(0)", "")
        return re.sub(r"\D", "", text)
    if kind == "names":
        return fold(item.get("text", item.get("value", ""))).rstrip(".,;:").lower()
    if kind == "definitions":
        return fold(item.get("term", item.get("value", ""))).strip("\"'“”‘’«» ").lower()
    raise ValueError(kind)


def matches(kind, found, label):
    if kind == "dates":
        return found == label or (len(label) == 7 and found.startswith(label))
    if kind == "amounts":
        return found[0] == label[0] and (label[1] is None or found[1] == label[1])
    return found == label


def score(kind, found, labels):
    """True positives (each label met once), finds, labels."""
    found = list(dict.fromkeys(found))
    labels = list(dict.fromkeys(labels))
    used = set()
    tp = 0
    for f in found:
        for i, l in enumerate(labels):
            if i not in used and matches(kind, f, l):
                used.add(i)
                tp += 1
                break
    return tp, len(found), len(labels)


def split(labels, seed):
    """Tune and report halves, drawn from the seed within each category."""
    rng = random.Random(seed)
    tune, report = [], []
    for category in sorted({l["category"] for l in labels}):
        group = sorted((l for l in labels if l["category"] == category), key=lambda l: l["id"])
        rng.shuffle(group)
        half = len(group) // 2
        tune += group[:half]
        report += group[half:]
    return tune, report


def tome_finds(build, labels):
    finds = {}
    for l in labels:
        path = os.path.join(HERE, "extractions", "docs", l["id"] + ".txt")
        out = subprocess.run([os.path.join(build, "tome-bench"), "extractions", path, "--date-order", l.get("date_order", "dmy")],
                             check=True, capture_output=True, text=True).stdout
        finds[l["id"]] = json.loads(out)["found"]
    return finds


def peer_dates(labels, texts):
    from dateparser.search import search_dates
    out = {}
    for l in labels:
        settings = {"DATE_ORDER": l.get("date_order", "dmy").upper(), "REQUIRE_PARTS": ["month", "year"],
                    "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False}
        # dateparser's languages among the labels' (another would be guessed).
        language = l["language"] if l["language"] in ("en", "de", "fr", "es", "zh") else None
        found = search_dates(texts[l["id"]], languages=[language] if language else None, settings=settings) or []
        out[l["id"]] = [dt.strftime("%Y-%m-%d") for _, dt in found]
    return out


def peer_amounts(labels, texts):
    from price_parser import Price
    out = {}
    for l in labels:
        found = []
        for line in texts[l["id"]].splitlines():
            price = Price.fromstring(line)
            if price.amount is None or not price.currency:
                continue
            currency = price.currency.strip()
            currency = SYMBOLS.get(currency, currency.upper() if re.fullmatch(r"[A-Za-z]{3}", currency) else None)
            found.append((price.amount.normalize(), currency))
        out[l["id"]] = found
    return out


def peer_keyphrases(labels, texts):
    import yake
    out = {}
    for l in labels:
        extractor = yake.KeywordExtractor(lan=l["language"], n=3, top=20)
        out[l["id"]] = [k for k, _ in extractor.extract_keywords(texts[l["id"]])]
    return out


def keyword_recall(phrases, keywords):
    """Share of the document's own keywords that a phrase equals or contains (case folded)."""
    phrases = [fold(p).lower() for p in phrases]
    hit = sum(1 for k in keywords if any(fold(k).lower() == p or fold(k).lower() in p for p in phrases))
    return hit, len(keywords)


def answer_expert(build, chosen):
    """`ask` with and without the answer expert on questions written over the
    set's documents (Benchmarks/extractions/questions.jsonl): whether the
    first answer's passage holds the fact, by the kind of value the question
    asks for (as its writer labelled it, and as the router read it)."""
    path = os.path.join(HERE, "extractions", "questions.jsonl")
    ids = {l["id"] for l in chosen}
    questions = [q for q in (json.loads(line) for line in open(path, encoding="utf-8")) if q["document"] in ids]
    subset = os.path.join(os.environ.get("TMPDIR", "/tmp"), "tome-extraction-questions.jsonl")
    with open(subset, "w", encoding="utf-8") as out:
        for q in questions:
            out.write(json.dumps(q, ensure_ascii=False) + "\n")
    documents = [f"{i}={os.path.join(HERE, 'extractions', 'docs', i + '.txt')}" for i in sorted(ids)]
    runs = {}
    for name, extra in [("with", []), ("without", ["--set", "answerLift=1"])]:
        out = subprocess.run([os.path.join(build, "tome-bench"), "retrieval", subset] + documents + extra,
                             check=True, capture_output=True, text=True).stdout
        runs[name] = {r["id"]: r for r in (json.loads(line) for line in out.splitlines() if line.strip())}
    written = {q["id"]: q["kind"] for q in questions}
    print(f"\nThe answer expert in ask: {len(questions)} questions over the set's documents, first passage holds the fact "
          "(FTS5 bm25 over the same blocks beside it):\n")
    print("| kind (as written) | router read it | questions | with the answer expert | without | FTS5 block ±1 | sparse = dense (with) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ["date", "quantity", "name", "definition", "other", "all"]:  # quantities are read but not lifted
        group = [i for i in runs["with"] if kind == "all" or written[i] == kind]
        if not group:
            continue
        # The router agrees with the writer when it reads the same kind ("other": no kind).
        read = sum(1 for i in group if (runs["with"][i]["answer_kind"] or "other") == written[i])
        print(f"| {kind} | {read}/{len(group)} | {len(group)} | {sum(runs['with'][i]['sparse_passage'] for i in group)} | "
              f"{sum(runs['without'][i]['sparse_passage'] for i in group)} | {sum(runs['with'][i]['fts5_window'] for i in group)} | "
              f"{sum(runs['with'][i]['agree'] for i in group)}/{len(group)} |")


def speed(build, work):
    rows = []
    for name in ["manuals-1M", "prose-1M"]:
        path = os.path.join(work, "needles-2", name + ".txt")
        if not os.path.exists(path):
            sys.exit(f"missing {path}: run `make bench` (Benchmarks/needles.py writes it)")
        out = subprocess.run([os.path.join(build, "tome-bench"), "extractions", "--speed", path, "1000000"],
                             check=True, capture_output=True, text=True).stdout
        rows.append((name, json.loads(out)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--set", choices=["tune", "report", "all"], default="report")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", default="var/bench")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list each miss and false find (tune set only)")
    args = parser.parse_args()

    labels = [json.load(open(p, encoding="utf-8")) for p in sorted(glob.glob(os.path.join(HERE, "extractions", "labels", "*.json")))]
    tune, report = split(labels, args.seed)
    chosen = {"tune": tune, "report": report, "all": labels}[args.set]
    if args.errors and args.set != "tune":
        sys.exit("--errors shows the tune set only: the report set is not looked at while mending")
    texts = {l["id"]: open(os.path.join(HERE, "extractions", "docs", l["id"] + ".txt"), encoding="utf-8").read() for l in chosen}
    words = sum(len(t.split()) for t in texts.values())
    print(f"{args.set} set: {len(chosen)} documents (seed {args.seed}), {words} words: {', '.join(l['id'] for l in chosen)}\n")

    started = time.process_time()
    t0 = time.perf_counter()
    finds = tome_finds(args.build, chosen)
    tome_seconds = time.perf_counter() - t0
    peers, peer_seconds = {}, {}
    for kind, run in [("dates", peer_dates), ("amounts", peer_amounts), ("keyphrases", peer_keyphrases)]:
        t0 = time.perf_counter()
        peers[kind] = run(chosen, texts)
        peer_seconds[kind] = time.perf_counter() - t0
    del started

    print("| expert | labels | Tome finds | Tome precision | Tome recall | peer | peer precision | peer recall |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for kind in KINDS:
        totals = [0, 0, 0]
        peer_totals = [0, 0, 0]
        for l in chosen:
            gold = [key(kind, item) for item in l.get(kind, [])]
            mine = [key(kind, f) for f in finds[l["id"]] if f["kind"] == kind]
            tp, nf, nl = score(kind, mine, gold)
            totals = [totals[0] + tp, totals[1] + nf, totals[2] + nl]
            if args.errors:
                print_misses(l["id"], kind, mine, gold)
            if kind in peers:
                tp, nf, nl = score(kind, peers[kind][l["id"]], gold)
                peer_totals = [peer_totals[0] + tp, peer_totals[1] + nf, peer_totals[2] + nl]
        p = totals[0] / totals[1] if totals[1] else float("nan")
        r = totals[0] / totals[2] if totals[2] else float("nan")
        peer = {"dates": "dateparser search_dates", "amounts": "price-parser (per line)"}.get(kind, "—")
        if kind in peers:
            pp = peer_totals[0] / peer_totals[1] if peer_totals[1] else float("nan")
            pr = peer_totals[0] / peer_totals[2] if peer_totals[2] else float("nan")
            print(f"| {kind} | {totals[2]} | {totals[1]} | {p:.2f} | {r:.2f} | {peer} | {pp:.2f} | {pr:.2f} |")
        else:
            print(f"| {kind} | {totals[2]} | {totals[1]} | {p:.2f} | {r:.2f} | {peer} | | |")

    # Few documents list their own keywords (two, both drawn into the tune half): key phrases are scored on
    # every one that does, whatever the set; nothing of the key phrase expert was chosen on them.
    with_keywords = [l for l in labels if l.get("keywords")]
    missing = [l for l in with_keywords if l["id"] not in finds]
    if missing:
        finds.update(tome_finds(args.build, missing))
        for l in missing:
            texts[l["id"]] = open(os.path.join(HERE, "extractions", "docs", l["id"] + ".txt"), encoding="utf-8").read()
        peers["keyphrases"].update(peer_keyphrases(missing, texts))
    if with_keywords:
        mine = [0, 0]
        theirs = [0, 0]
        for l in with_keywords:
            phrases = [f["value"] for f in finds[l["id"]] if f["kind"] == "keyphrases"]
            h, n = keyword_recall(phrases, l["keywords"])
            mine = [mine[0] + h, mine[1] + n]
            h, n = keyword_recall(peers["keyphrases"][l["id"]], l["keywords"])
            theirs = [theirs[0] + h, theirs[1] + n]
        print(f"\nKey phrases (top 20) against the own keywords of {len(with_keywords)} documents ({mine[1]} keywords): "
              f"Tome {mine[0]}/{mine[1]}, YAKE {theirs[0]}/{theirs[1]}")
    print(f"\nWall time over the set: Tome {tome_seconds:.2f} s (one process per document, start-up included); "
          + ", ".join(f"{k} peer {v:.2f} s" for k, v in peer_seconds.items()))

    if os.path.exists(os.path.join(HERE, "extractions", "questions.jsonl")):
        answer_expert(args.build, chosen)

    if not args.no_speed:
        print("\nEvery expert over 1M tokens, release build, all cores (best of 3; the analysis before it not timed):\n")
        print("| document | tokens | routed s | routed CPU s | unrouted s | unrouted CPU s | routed/unrouted | calls | skipped | finds |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in speed(args.build, args.work):
            assert r["routed_found"] == r["unrouted_found"], "routing changed the result"
            print(f"| {name} | {r['tokens']:,} | {r['routed_s']:.3f} | {r['routed_cpu_s']:.3f} | {r['unrouted_s']:.3f} | "
                  f"{r['unrouted_cpu_s']:.3f} | {r['routed_s'] / r['unrouted_s']:.2f}x | {r['routed_calls']:,} | "
                  f"{r['routed_skipped']:,} ({r['routed_skipped'] / r['routed_calls']:.0%}) | {r['routed_found']:,} |")


if __name__ == "__main__":
    main()
