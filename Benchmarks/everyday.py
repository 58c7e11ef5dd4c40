#!/usr/bin/env python3
"""Everyday documents: invoices and receipts with tables, contracts, letters
and notices in English, German, French and Chinese, read by the real daemon
from a spool, scored against labels written by reading each document.

Documents: Benchmarks/everyday/docs/ID.{html,txt}; labels:
Benchmarks/everyday/labels/ID.json (rules and sources in SOURCES-*.md). The
split into a half to tune on and a half to report is drawn from --seed within
each category; Tome's rules may be mended on the tune half only.

Measured on the chosen half, each beside a peer where one exists:
- extraction precision and recall per kind (dates, amounts, percentages,
  names), matched as in Benchmarks/extractions.py; amounts also on the
  documents with tables alone. Peers: dateparser's `search_dates`,
  price-parser per line, on the text Tome extracted.
- section headings: the outline's entries against the labelled headings.
- contracts (the `contracts` pipeline): the parties' answer names every
  labelled party; the start answer's sentence, or the defining sentence of
  the term it names the date by, holds the labelled effective date.
- summaries: the documents whose summary repeats itself (two sentences
  sharing 60% of their words of four letters or more); of the contracts, the summary names every
  party, an amount, the effective date and the governing law (the labelled
  answer of the law question) — the contracts pipeline's `summary_covers`;
  `--no-covers` measures the same without it.
- ask: whether the first answer's sentence holds a labelled answer, by
  wording (the document's own words, or the asker's), beside SQLite FTS5
  (bm25 over the same sentences, the question's words OR-ed); and how well
  the answer's `sure` flag separates right first answers from wrong ones.
- Chinese and Japanese keyword search: per labelled term (and five words
  in chapter 1 of the zh-cn Debian Reference), the sentences
  `GET /v1/search` finds beside FTS5's unicode61 and trigram tokenizers over
  the same sentences, against the sentences that hold the term.

    python3 Benchmarks/everyday.py --build .build/release --set report
"""

import argparse
import glob
import json
import os
import re
import shutil
import sqlite3
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
from extractions import fold, key, peer_amounts, peer_dates, print_misses, score, split  # noqa: E402

KINDS = ["dates", "amounts", "percentages", "names"]
ROOT = os.path.dirname(HERE)
# Titles before a name: the labels of one language keep them, of another drop them; compared without.
# Titles before a name, academic ones too ("Dr. med.", "Mag.", "Dipl.-Ing." as Austrian and German letters write them).
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof", "herr", "herrn", "frau", "m", "mme", "mlle", "sr", "sra", "med", "mag", "dipl", "ing"}


def label_key(kind, item):
    """`extractions.key`, with a name's leading title dropped on both sides."""
    k = key(kind, item)
    if kind == "names":
        words = k.split(" ")
        while len(words) > 1 and words[0].rstrip(".") in HONORIFICS:
            words = words[1:]
        k = " ".join(words)
    return k


def load(folder=os.path.join(HERE, "everyday")):
    labels = [json.load(open(p, encoding="utf-8")) for p in sorted(glob.glob(os.path.join(folder, "labels", "*.json")))]
    for l in labels:
        l["path"] = glob.glob(os.path.join(folder, "docs", l["id"] + ".*"))[0]
    return labels


def pipeline_of(label):
    """The pipeline (spool folder) a document goes to: contracts to the
    repository's `contracts`, the rest to `default`; mdy documents to a copy
    that reads dates month first."""
    base = "contracts" if label["category"] == "contract" else "default"
    return base + ("-mdy" if label.get("date_order") == "mdy" else "")


def pipelines(covers=True):
    """The repository's `default` and `contracts` pipelines, and a copy of
    each that reads dates month first (`-mdy`); without `covers`, their
    `summary_covers` left out."""
    out = {}
    for base in ["default", "contracts"]:
        text = open(os.path.join(ROOT, "Pipelines", base + ".toml"), encoding="utf-8").read()
        if not covers:
            text = re.sub(r"(?ms)^summary_covers\s*=\s*\[.*?\]\s*$", "", text)
        out[base] = text
        out[base + "-mdy"] = re.sub(r"(?m)^date_order\s*=.*$", "", text) + '\ndate_order = "mdy"\n'
    return out


def pdf_twins(labels, work):
    """The HTML invoices and receipts rendered to PDF by weasyprint (its own
    layout of their tables): labels of the same values, ids ending `-pdf`."""
    if not shutil.which("weasyprint"):
        sys.exit("needs weasyprint (Debian package weasyprint; make bench installs it)")
    twins = []
    for l in labels:
        if l["format"] != "html" or l["category"] not in ("invoice", "receipt"):
            continue
        out = os.path.join(work, l["id"] + ".pdf")
        if not os.path.exists(out):
            benchlib.subprocess.run(["weasyprint", "--quiet", l["path"], out], check=True, capture_output=True)
        twins.append(dict(l, id=l["id"] + "-pdf", path=out, format="pdf", questions=[], sections=[]))
    return twins


ZH_REFERENCE = "/usr/share/debian-reference/ch01.zh-cn.html"


def zh_reference():
    """Chapter 1 of the Debian Reference in Chinese (Debian package
    debian-reference-zh-cn, which make bench installs), searched for five
    everyday words beside the labelled documents: its truth is the lines
    that hold each word, as for them."""
    if not os.path.exists(ZH_REFERENCE):
        return []
    return [{"id": "debian-reference-zh-cn-ch01", "path": ZH_REFERENCE, "category": "reference", "language": "zh",
             "search_terms": ["用户名", "密码", "软件包", "文件系统", "权限"]}]


def run_daemon(build, labels, covers=True, model_dir=""):
    """Every chosen document through one daemon; returns (daemon, {id: document id})."""
    daemon = benchlib.Daemon(build, pipelines=pipelines(covers), model_dir=model_dir)
    names = {}
    for l in labels:
        folder = pipeline_of(l)
        name = l["id"] + os.path.splitext(l["path"])[1]
        if folder != "default":
            os.makedirs(os.path.join(daemon.spool, folder), exist_ok=True)
            name = folder + "/" + name
        part = os.path.join(daemon.spool, os.path.dirname(name), "." + os.path.basename(name) + ".part")
        shutil.copy(l["path"], part)
        os.rename(part, os.path.join(daemon.spool, name))
        names[l["id"]] = name
    ids = {}
    for l in labels:
        d = daemon.wait_done(names[l["id"]], timeout=300)
        if d["status"] != "done":
            sys.exit(f"{l['id']} failed: {d}")
        ids[l["id"]] = d["id"]
    return daemon, ids


def get(daemon, path):
    status, body = benchlib.request(daemon.sock, "GET", path)
    return status, json.loads(body) if body else None


def post(daemon, path, body):
    status, out = benchlib.request(daemon.sock, "POST", path, body)
    return status, json.loads(out) if out else None


def ratio(a, b):
    return a / b if b else float("nan")


def extraction_table(daemon, ids, labels, texts):
    finds = {l["id"]: get(daemon, f"/v1/documents/{ids[l['id']]}/extractions")[1] for l in labels}
    peers = {"dates": peer_dates(labels, texts), "amounts": peer_amounts(labels, texts)}
    tables = [l for l in labels if "<table" in open(l["path"], encoding="utf-8", errors="replace").read() or "\t" in texts[l["id"]]]
    print("| kind | documents | labels | Tome finds | Tome P | Tome R | peer | peer P | peer R |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    pdfs = [l for l in labels if l["format"] == "pdf"]
    labels = [l for l in labels if l["format"] != "pdf"]
    tables = [l for l in tables if l["format"] != "pdf"]
    rows = [(k, labels, k) for k in KINDS] + [("amounts", tables, "amounts (documents with tables)"),
                                              ("amounts", pdfs, "amounts (the HTML invoices as PDF)"),
                                              ("dates", pdfs, "dates (the HTML invoices as PDF)")]
    for kind, group, title in rows:
        mine, theirs = [0, 0, 0], [0, 0, 0]
        for l in group:
            gold = [label_key(kind, item) for item in l.get(kind, [])]
            found = [label_key(kind, f) for f in finds[l["id"]].get(kind, [])]
            mine = [a + b for a, b in zip(mine, score(kind, found, gold))]
            if kind in peers:
                theirs = [a + b for a, b in zip(theirs, score(kind, peers[kind][l["id"]], gold))]
        peer = {"dates": "dateparser", "amounts": "price-parser"}.get(kind)
        line = f"| {title} | {len(group)} | {mine[2]} | {mine[1]} | {ratio(mine[0], mine[1]):.2f} | {ratio(mine[0], mine[2]):.2f} |"
        line += f" {peer} | {ratio(theirs[0], theirs[1]):.2f} | {ratio(theirs[0], theirs[2]):.2f} |" if peer else " — | | |"
        print(line)
    return finds


def title_key(s):
    """A heading compared without its number, case or punctuation."""
    s = fold(s).lower()
    s = re.sub(r"^(§\s*)?[0-9ivx]+(\.[0-9]+)*[.)]?\s+", "", s)
    return re.sub(r"[^\w ]", "", s).strip()


def sections_table(finds, labels, errors=False):
    tp = nf = nl = 0
    for l in labels:
        gold = {title_key(s if isinstance(s, str) else s.get("text", s.get("title", ""))) for s in l.get("sections", [])}
        found = {title_key(f["value"]) for f in finds[l["id"]].get("outline", [])}
        gold.discard("")
        found.discard("")
        if errors:
            for f in sorted(found - gold):
                print(f"  {l['id']} section false: {f}")
            for g in sorted(gold - found):
                print(f"  {l['id']} section missed: {g}")
        tp += len(gold & found)
        nf += len(found)
        nl += len(gold)
    print(f"\nSection headings (outline entries against labelled headings, number and case aside): {nl} labelled, "
          f"{nf} found, precision {ratio(tp, nf):.2f}, recall {ratio(tp, nl):.2f}")


def holds(text, answers):
    t = fold(text).lower()
    return any(fold(a).lower() in t for a in answers)


def contracts_table(daemon, ids, labels, errors=False):
    contracts = [l for l in labels if l["category"] == "contract"]
    if not contracts:
        return
    parties = start = 0
    for l in contracts:
        answers = {a["question"]: a.get("answer") for a in get(daemon, f"/v1/documents/{ids[l['id']]}/answers")[1]["answers"]}
        who = next((v for q, v in answers.items() if q.startswith("Who are the parties")), None)
        when = next((v for q, v in answers.items() if q.startswith("When does the agreement start")), None)
        names = [p if isinstance(p, str) else p.get("text", p.get("name", "")) for p in l.get("parties", [])]
        if who and names and all(holds(who["text"] + " " + who["context"], [n]) for n in names):
            parties += 1
        elif errors:
            print(f"  {l['id']} parties: {who and who['text'][:200]!r}")
        effective = l.get("effective_date")
        if isinstance(effective, dict):
            effective = effective.get("value")
        dates = get(daemon, f"/v1/documents/{ids[l['id']]}/extractions?kind=dates")[1]["dates"]
        # The answer's sentence, or the defining sentence of the term it names the date by ("the Effective Date").
        spans = [(when["start"], when["end"])] + ([(when["definition"]["start"], when["definition"]["end"])]
                                                  if when and when.get("definition") else []) if when else []
        if effective and any(d["value"] == effective and a <= d["start"] < b for d in dates for a, b in spans):
            start += 1
        elif errors:
            print(f"  {l['id']} start: {when and when['text'][:200]!r}")
    print(f"\nContracts ({len(contracts)}, the `contracts` pipeline): the parties' answer (its passage) names every party "
          f"{parties}/{len(contracts)}; the start answer's sentence (or the definition it names) holds the effective date {start}/"
          f"{sum(1 for l in contracts if l.get('effective_date'))}")


def words(text):
    """A sentence's words of four letters or more (the short ones are mostly function words, in any of the four languages)."""
    return {w for w in re.findall(r"\w+", fold(text).lower()) if len(w) >= 4 or not w.isascii()}


def summaries_table(daemon, ids, labels, errors=False):
    """Summaries that repeat themselves, and what the contracts' summaries cover."""
    repeats = 0
    covered = {"parties": 0, "amount": 0, "effective date": 0, "law": 0}
    wanted = dict.fromkeys(covered, 0)
    contracts = 0
    for l in labels:
        sentences = [x["text"] for x in get(daemon, f"/v1/documents/{ids[l['id']]}/summary")[1]["summary"]["sentences"]]
        sets = [words(x) for x in sentences]
        pairs = [(a, b) for a in range(len(sets)) for b in range(a + 1, len(sets))
                 if sets[a] and sets[b] and len(sets[a] & sets[b]) >= 0.6 * min(len(sets[a]), len(sets[b]))]
        if pairs:
            repeats += 1
            if errors:
                print(f"  {l['id']} repeats: {[(sentences[a][:80], sentences[b][:80]) for a, b in pairs]}")
        if l["category"] != "contract":
            continue
        contracts += 1
        text = " ".join(sentences)
        names = [p if isinstance(p, str) else p.get("text", p.get("name", "")) for p in l.get("parties", [])]
        effective = l.get("effective_date")
        if isinstance(effective, dict):
            effective = effective.get("value")
        law = [q["answers"] for q in l.get("questions", []) if re.search(r"\blaws?\b|govern|recht|droit|法", q["question"].lower())]
        aspects = {"parties": [names] if names else [], "amount": [[a["text"] for a in l.get("amounts", [])]] if l.get("amounts") else [],
                   "effective date": [[d["text"] for d in l.get("dates", []) if d.get("value") == effective]] if effective else [],
                   "law": law[:1]}
        for aspect, needs in aspects.items():
            if not needs or not needs[0]:
                continue
            wanted[aspect] += 1
            ok = all(holds(text, [n]) for n in needs[0]) if aspect == "parties" else holds(text, needs[0])
            covered[aspect] += ok
            if errors and not ok:
                print(f"  {l['id']} summary misses the {aspect}: {[x[:80] for x in sentences]}")
    print(f"\nSummaries: {repeats}/{len(labels)} documents' summaries hold two sentences sharing 60% of their words of four letters or more")
    if contracts:
        print(f"Contracts' summaries ({contracts}) hold " + ", ".join(f"{k} {covered[k]}/{wanted[k]}" for k in covered)
              + f" ({sum(covered.values())}/{sum(wanted.values())})")


def text_of(daemon, doc):
    """The text Tome extracted (the peers read the same)."""
    status, body = benchlib.request(daemon.sock, "GET", f"/v1/documents/{doc}/text")
    return body.decode("utf-8")


def fts5_first(text, question, language):
    """FTS5 bm25's best line-sentence for the question's words OR-ed."""
    units = [u.strip() for u in re.split(r"(?<=[.!?。！？])\s+|\n+", text) if u.strip()]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE s USING fts5(t, tokenize='trigram')" if language in ("zh", "ja")
               else "CREATE VIRTUAL TABLE s USING fts5(t)")
    db.executemany("INSERT INTO s(t) VALUES (?)", [(u,) for u in units])
    words = re.findall(r"\w{3,}", question) if language in ("zh", "ja") else re.findall(r"\w+", question)
    if not words:
        return ""
    query = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    try:
        row = db.execute("SELECT t FROM s WHERE s MATCH ? ORDER BY bm25(s) LIMIT 1", (query,)).fetchone()
    except sqlite3.OperationalError:
        row = None
    return row[0] if row else ""


def ask_table(daemon, ids, labels, texts, errors=False, deep=False):
    rows = {"document": [0, 0, 0], "own": [0, 0, 0]}
    sure = {"right": 0, "wrong": 0}
    unsure = {"right": 0, "wrong": 0}
    for l in labels:
        for q in l.get("questions", []):
            status, body = post(daemon, f"/v1/documents/{ids[l['id']]}/ask", {"question": q["question"], "k": 5, "deep": deep})
            answers = body.get("answers", []) if status == 200 else []
            right = bool(answers) and holds(answers[0]["text"], q["answers"])
            row = rows[q["wording"]]
            row[0] += 1
            row[1] += right
            row[2] += holds(fts5_first(texts[l["id"]], q["question"], l["language"]), q["answers"])
            if answers:
                (sure if answers[0].get("sure") else unsure)["right" if right else "wrong"] += 1
            if errors and not right:
                first = answers[0]["text"][:150] if answers else body.get("hint", body.get("message"))
                print(f"  {l['id']} [{q['wording']}] {q['question']} -> {first!r} (want {q['answers'][0]!r})")
    print("\nFirst answer's sentence holds the fact (k = 5), beside FTS5 bm25 over the text's sentences:\n")
    print("| wording | questions | Tome | Tome share | FTS5 | FTS5 share |")
    print("|---|---:|---:|---:|---:|---:|")
    for wording, (n, t, f) in rows.items():
        print(f"| {wording} | {n} | {t} | {ratio(t, n):.2f} | {f} | {ratio(f, n):.2f} |")
    print(f"\nThe `sure` flag on first answers: sure {sure['right'] + sure['wrong']} (right {sure['right']}, precision "
          f"{ratio(sure['right'], sure['right'] + sure['wrong']):.2f}); unsure {unsure['right'] + unsure['wrong']} "
          f"(wrong {unsure['wrong']}, {ratio(unsure['wrong'], unsure['right'] + unsure['wrong']):.2f} of them); "
          f"wrong answers flagged unsure {unsure['wrong']}/{sure['wrong'] + unsure['wrong']}")


def search_table(daemon, ids, labels, texts):
    cjk = [l for l in labels if l.get("search_terms")]
    if not cjk:
        return
    print("\nKeyword search over Chinese and Japanese text: sentences found per term against the lines that hold it:\n")
    print("| document | terms | lines holding them | Tome found | FTS5 unicode61 | FTS5 trigram |")
    print("|---|---:|---:|---:|---:|---:|")
    for l in cjk:
        lines = [u for u in texts[l["id"]].split("\n") if u.strip()]
        dbs = {}
        for tokenizer in ["unicode61", "trigram"]:
            db = sqlite3.connect(":memory:")
            db.execute(f"CREATE VIRTUAL TABLE s USING fts5(t, tokenize='{tokenizer}')")
            db.executemany("INSERT INTO s(t) VALUES (?)", [(u,) for u in lines])
            dbs[tokenizer] = db
        holding = tome = uni = tri = 0
        for term in l["search_terms"]:
            holding += sum(1 for u in lines if term in u)
            q = urllib.parse.quote(term)
            status, body = get(daemon, f"/v1/search?q={q}&document={ids[l['id']]}&limit=200")
            if status != 200:
                sys.exit(f"search {term!r}: {status} {body}")
            tome += len(body["hits"])
            phrase = '"' + term.replace('"', '""') + '"'
            for name, db in dbs.items():
                try:
                    n = db.execute("SELECT count(*) FROM s WHERE s MATCH ?", (phrase,)).fetchone()[0]
                except sqlite3.OperationalError:
                    n = 0
                if name == "unicode61":
                    uni += n
                else:
                    tri += n
        print(f"| {l['id']} | {len(l['search_terms'])} | {holding} | {tome} | {uni} | {tri} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--set", choices=["tune", "report", "all", "fresh"], default="report",
                        help="fresh: everyday/fresh, documents written after the rules were mended, a second set to tune on")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--errors", action="store_true", help="list each miss (tune and fresh sets only)")
    parser.add_argument("--no-covers", action="store_true", help="the pipelines without summary_covers (the summaries' reference)")
    parser.add_argument("--model", default="", help="the semantic head's model folder (make model): asks by words and meaning")
    parser.add_argument("--deep", action="store_true", help="with --model: deep asks (the full encoder reorders the ten best)")
    args = parser.parse_args()

    labels = load()
    tune, report = split(labels, args.seed)
    chosen = {"tune": tune, "report": report, "all": labels}[args.set] if args.set != "fresh" else load(os.path.join(HERE, "everyday", "fresh"))
    if args.errors and args.set not in ("tune", "fresh"):
        sys.exit("--errors shows the tune set only: the report set is not looked at while mending")
    counts = {}
    for l in chosen:
        counts[l["category"]] = counts.get(l["category"], 0) + 1
    print(f"{args.set} set (seed {args.seed}): {len(chosen)} documents — "
          + ", ".join(f"{n} {c}" for c, n in sorted(counts.items())) + "; languages "
          + ", ".join(sorted({l["language"] for l in chosen})) + "\n")
    work = os.path.join(ROOT, "var", "bench", "everyday")
    os.makedirs(work, exist_ok=True)
    twins = pdf_twins(chosen, work)
    reference = zh_reference()
    daemon, ids = run_daemon(args.build, chosen + twins + reference, covers=not args.no_covers, model_dir=os.path.abspath(args.model) if args.model else "")
    try:
        texts = {l["id"]: text_of(daemon, ids[l["id"]]) for l in chosen + twins + reference}
        finds = extraction_table(daemon, ids, chosen + twins, texts)
        if args.errors:
            for l in chosen + twins:
                for kind in KINDS:
                    gold = [label_key(kind, item) for item in l.get(kind, [])]
                    mine = [label_key(kind, f) for f in finds[l["id"]].get(kind, [])]
                    print_misses(l["id"], kind, mine, gold)
        sections_table(finds, chosen, args.errors)
        contracts_table(daemon, ids, chosen, args.errors)
        summaries_table(daemon, ids, chosen, args.errors)
        ask_table(daemon, ids, chosen, texts, args.errors, deep=args.deep)
        search_table(daemon, ids, chosen + reference, texts)
    finally:
        daemon.close()


if __name__ == "__main__":
    main()
