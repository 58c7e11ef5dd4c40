#!/usr/bin/env python3
"""Synthetic retrieval tasks over real text, drawn from a seed.

Writes one document per (haystack, size) with needles inserted at random
sentence boundaries, and one question file for all of them (the format of
Benchmarks/questions/*.jsonl, with a "task" field):

- single: five one-of-a-kind facts, each asked in other words
  ("What code opens the Brastel vault?");
- multikey: twelve near-identical needles ("One of the special magic numbers
  for Thimphu is: 5123259.") and questions about five of them;
- variables: chains "VAR A = 71951." ... "VAR D = VAR C." spread through the
  text; "Which variable is assigned the value 71951?";
- rareterm: names, numbers, identifiers, error codes, paths, asked in other
  words ("What does error E-4471 indicate?");
- sentence: real sentences of the haystack asked without their first and
  last word;
- paraphrase: facts asked in other words that share no content word with
  them ("Which storage site was missing stolen metal cabling?" of "The
  warehouse in Vandorel had lost eleven pallets of copper wire to theft."),
  one set of Benchmarks/paraphrase_pairs.jsonl (--paraphrase tune|report;
  15 pairs each) with their slots filled from the seed; they are placed with
  a random generator of their own, so the other tasks' documents and
  questions are those of the same seed without them.

Every name is invented from syllables, so no answer is in the haystack by
chance. The same seed gives the same documents and questions on any machine.

Usage: needles.py HAYSTACK_NAME=TEXT_FILE... --out DIR --seed N [--sizes 128000,1000000,4000000]
"""
import argparse
import json
import os
import random
import re

def bytes_per_token(text):
    """Bytes per token of a text, about as Tome counts them (a word, a number or a punctuation mark each)."""
    sample = text[:2_000_000]
    return len(sample.encode()) / max(1, len(re.findall(r"\w+(?:['.,]\w+)*|[^\w\s]", sample)))


def invented(rng, syllables=(2, 3), capital=True):
    onsets = ["b", "br", "c", "d", "dr", "f", "g", "gr", "k", "l", "m", "n", "p", "pr", "r", "s", "st", "t", "tr", "v", "z"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ei"]
    codas = ["", "", "n", "r", "s", "l", "m", "nd", "st", "x"]
    word = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(rng.randint(*syllables)))
    return word.capitalize() if capital else word


def identifier(rng):
    return f"{rng.choice('ABCDEFGHKMNPRSTVWXZ')}{rng.choice('ABCDEFGHKMNPRSTVWXZ')}-{rng.randint(1000, 9999)}"


def needles_and_questions(rng, doc):
    """(needle sentences, questions) for one document."""
    needles, questions = [], []

    def ask(task, question, answers, kind):
        questions.append({"document": doc, "task": task, "question": question, "answers": answers, "kind": kind})

    # single: one of a kind each
    vault, code = invented(rng), str(rng.randint(100000, 999999))
    needles.append(f"The access code for the {vault} vault is {code}.")
    ask("single", f"What code opens the {vault} vault?", [code], "number")
    first, last, town, year = invented(rng), invented(rng), invented(rng), rng.randint(1890, 2020)
    needles.append(f"{first} {last} was appointed harbour master of {town} in {year}.")
    ask("single", f"Who became harbour master of {town}?", [f"{first} {last}"], "name")
    batch, substance = identifier(rng), invented(rng, capital=False) + "ium"
    needles.append(f"Batch {batch} of the reagent was recalled because it contained traces of {substance}.")
    ask("single", f"Why was reagent batch {batch} recalled?", [substance], "identifier")
    bridge, span = invented(rng), str(rng.randint(120, 2400))
    needles.append(f"The {bridge} bridge has a span of {span} metres.")
    ask("single", f"How long is the {bridge} bridge?", [f"{span} metres"], "number")
    flight, gate, dest = f"{rng.choice('ABCDEFGHKMNPRSTVWXZ')}{rng.choice('ABCDEFGHKMNPRSTVWXZ')}{rng.randint(100, 999)}", f"{rng.choice('ABCDEFGH')}{rng.randint(1, 40)}", invented(rng)
    needles.append(f"Flight {flight} to {dest} leaves from gate {gate}.")
    ask("single", f"From which gate does flight {flight} depart?", [f"gate {gate}"], "identifier")

    # multikey: twelve needles of one template, five asked
    cities = sorted({invented(rng) for _ in range(12)})
    numbers = [str(rng.randint(1000000, 9999999)) for _ in cities]
    for city, number in zip(cities, numbers):
        needles.append(f"One of the special magic numbers for {city} is: {number}.")
    for i in rng.sample(range(len(cities)), 5):
        ask("multikey", f"What is the special magic number for {cities[i]}?", [numbers[i]], "number")

    # variables: three chains of four
    for _ in range(3):
        names = ["".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 6))) for _ in range(4)]
        value = str(rng.randint(10000, 99999))
        needles.append(f"VAR {names[0]} = {value}.")
        needles += [f"VAR {names[i]} = VAR {names[i - 1]}." for i in range(1, 4)]
        ask("variables", f"Which variable is assigned the value {value}?", [f"VAR {names[0]} ="], "identifier")

    # rareterm: identifiers, numbers, names, error codes and paths, asked in other words
    error, component = f"E-{rng.randint(1000, 9999)}", invented(rng, capital=False)
    needles.append(f"Error {error} means that the {component} service could not reach its licence server.")
    ask("rareterm", f"What does error {error} indicate?", ["licence server"], "error")
    key, things, default = f"{invented(rng, (1, 2), False)}_{invented(rng, (1, 2), False)}_limit", invented(rng, capital=False) + "s", str(rng.randint(16, 4096))
    needles.append(f"The setting {key} caps how many {things} are kept in memory; its default is {default}.")
    ask("rareterm", f"What is the default value of {key}?", [f"default is {default}"], "number")
    product, path = invented(rng), f"/var/cache/{invented(rng, (1, 2), False)}/{invented(rng, (1, 2), False)}"
    needles.append(f"{product} keeps its downloaded catalogue under {path} until the next synchronisation.")
    ask("rareterm", f"Where does {product} store its catalogue?", [path], "path")
    person, role, org = f"{invented(rng)} {invented(rng)}", rng.choice(["treasurer", "archivist", "chief engineer", "auditor"]), invented(rng)
    needles.append(f"Since the merger, {person} has served as {role} of the {org} cooperative.")
    ask("rareterm", f"Who is the {role} of the {org} cooperative?", [person], "name")
    return needles, questions


PARAPHRASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paraphrase_pairs.jsonl")


def paraphrases(rng, doc, which):
    """(needles, questions) of one set of the paraphrase pairs, slots filled from `rng`."""
    needles, questions = [], []
    with open(PARAPHRASES, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    for pair in pairs:
        if pair["set"] != which:
            continue
        value = {"PLACE": lambda: invented(rng), "PERSON": lambda: f"{invented(rng)} {invented(rng)}",
                 "NUMBER": lambda: str(rng.randint(12, 9999)), "YEAR": lambda: str(rng.randint(1850, 2020)),
                 "CODE": lambda: identifier(rng)}[pair["slot"]]()
        needles.append(pair["needle"].replace("{" + pair["slot"] + "}", value))
        questions.append({"document": doc, "task": "paraphrase", "question": pair["question"], "answers": [value],
                          "kind": pair["kind"], "pair": pair["id"]})
    return needles, questions


def sentence_questions(rng, text, doc, count):
    """Real sentences of 8 to 30 words, mostly letters, asked without their first and last word."""
    candidates = [s for s in re.split(r"(?<=[.!?])\s+", text)
                  if 8 <= len(s.split()) <= 30 and sum(c.isalpha() for c in s) > 0.8 * len(s.replace(" ", "")) and "\n" not in s.strip()]
    out = []
    for s in rng.sample(candidates, min(count, len(candidates))):
        words = re.sub(r"[^\w\s'-]", " ", s).split()
        question = " ".join(words[1:-1]) + "?"
        # The answer: three words from the middle of the sentence as printed (punctuation kept).
        printed = s.split()
        middle = printed[len(printed) // 2 - 1:len(printed) // 2 + 2]
        out.append({"document": doc, "task": "sentence", "question": question, "answers": [" ".join(middle)], "kind": "other"})
    return out


def insert(rng, text, needles):
    """The text with each needle placed after a randomly chosen sentence end:
    a word, then . ! or ?, then white space and a capital (not a dot leader
    of a contents line, which also has ". " in it)."""
    ends = [m.end() for m in re.finditer(r"(?<=[a-z0-9)\"'][.!?])\s+(?=[A-Z])", text)]
    places = sorted(rng.sample(ends, len(needles)))
    out, last = [], 0
    for at, needle in zip(places, rng.sample(needles, len(needles))):
        out.append(text[last:at])
        out.append(needle + " ")
        last = at
    out.append(text[last:])
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("haystacks", nargs="+", help="NAME=TEXT_FILE")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--sizes", default="128000,1000000,4000000")
    parser.add_argument("--sentences", type=int, default=6)
    parser.add_argument("--paraphrase", choices=["tune", "report", "none"], default="report",
                        help="which half of the paraphrase pairs to place (default report; tune when tuning)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    questions = []
    for haystack in args.haystacks:
        name, path = haystack.split("=", 1)
        with open(path, encoding="utf-8") as f:
            source = f.read()
        for size in (int(s) for s in args.sizes.split(",")):
            want = int(size * bytes_per_token(source))
            copies = -(-want // len(source))
            text = (source + "\n\n") * copies
            start = rng.randrange(0, max(1, len(text) - want)) if copies == 1 else 0
            text = text[start:start + want]
            doc = f"{name}-{size // 1000}K" if size < 1_000_000 else f"{name}-{size // 1_000_000}M"
            needles, asked = needles_and_questions(rng, doc)
            asked += sentence_questions(rng, text, doc, args.sentences)
            path_out = os.path.join(args.out, doc + ".txt")
            text = insert(rng, text, needles)
            if args.paraphrase != "none":
                own = random.Random(f"{args.seed}-{doc}-paraphrase")
                placed, paraphrased = paraphrases(own, doc, args.paraphrase)
                text = insert(own, text, placed)
                asked += paraphrased
            with open(path_out, "w", encoding="utf-8") as f:
                f.write(text)
            for i, q in enumerate(asked):
                q["id"] = f"{doc}-{q['task']}-{i + 1:02d}"
            questions += asked
            print(f"{doc}\t{path_out}\t{len(asked)} questions" + (f"\t(the haystack repeats {copies}x)" if copies > 1 else ""))
    with open(os.path.join(args.out, "questions.jsonl"), "w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
