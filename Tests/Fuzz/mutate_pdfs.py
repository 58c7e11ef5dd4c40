#!/usr/bin/env python3
"""PDF fuzzing by mutation: seeded damage to real PDFs — flipped bytes,
truncations, zeroed and duplicated ranges, broken xref offsets, stray PDF
tokens — each run through `tomed extract --child`, the child the daemon
runs, under the limits the daemon gives it.

poppler is C++ and not built with coverage here, so this is blind mutation
rather than libFuzzer; what it checks is the contract with the daemon. Every
run must end one of two ways:

- exit 0 with a record on stdout (it starts with "TOMEREC"), or
- exit 1 with `{"error": {"code", "message"}}` on stdout.

Anything else — a signal, another exit code, a hang past the timeout,
garbage on stdout — is a finding: the input is saved under
Tests/Fuzz/regressions/pdf/ (named by its SHA-1) and the run fails. A saved
finding is replayed first on every run (`--replay-only` replays and stops:
what `make test` runs), so a fix stays fixed.

Usage: Tests/Fuzz/mutate_pdfs.py --tomed .build/debug/tomed [--seed 1] [--seconds 60 | --runs N] [PDF ...]
       (without PDFs: Samples/sample.pdf and the small PDFs of /usr/share/doc)
"""
import argparse
import glob
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGRESSIONS = os.path.join(ROOT, "Tests", "Fuzz", "regressions", "pdf")
TOKENS = [b"<<", b">>", b"[", b"]", b"(", b")", b"/Length 999999999", b"/Length -1", b" 0 R", b"obj", b"endobj",
          b"stream\n", b"endstream", b"xref\n0 99999\n", b"trailer", b"startxref\n0\n", b"%%EOF", b"/Filter /FlateDecode",
          b"/Type /Page", b"/Kids [1 0 R]", b"/Count 2147483647", b"/Parent 1 0 R", b"\x00" * 16, b"\xff" * 16]


def mutate(data, rng):
    """One to three of the mutations, in a seeded order."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(7)
        n = len(data)
        if n == 0:
            break
        at = rng.randrange(n)
        if kind == 0:  # flip a few bytes
            for _ in range(rng.randint(1, 32)):
                data[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif kind == 1:  # truncate
            del data[at:]
        elif kind == 2:  # zero a range
            end = min(n, at + rng.randint(1, 4096))
            data[at:end] = bytes(end - at)
        elif kind == 3:  # duplicate a range somewhere else
            chunk = data[at:at + rng.randint(1, 8192)]
            where = rng.randrange(n)
            data[where:where] = chunk
        elif kind == 4:  # break the numbers after startxref or inside the xref table
            key = rng.choice([b"startxref", b"xref", b"/Length", b"/Size", b"/Count"])
            hits = [i for i in range(n) if data.startswith(key, i)] if n < 4 << 20 else []
            if hits:
                i = rng.choice(hits) + len(key)
                digits = str(rng.choice([0, 1, n, n * 2, 2**31 - 1, 2**63 - 1, rng.randrange(1 << 20)])).encode()
                data[i:i + len(digits) + 1] = b" " + digits
        elif kind == 5:  # a stray PDF token
            data[at:at] = rng.choice(TOKENS)
        else:  # swap two ranges
            a, b = sorted(rng.sample(range(n), 2)) if n > 1 else (0, 0)
            size = min(rng.randint(1, 2048), b - a)
            data[a:a + size], data[b:b + size] = data[b:b + size], data[a:a + size]
    return bytes(data)


def run(tomed, path, timeout):
    """(verdict, detail): 'ok', 'typed' or 'finding'."""
    # The request the daemon sends its child (ExtractionRequest), the engine's settings left at their defaults.
    request = json.dumps({"path": path, "parent": os.getpid(), "maxBytes": 256 << 20, "workers": 1, "memoryMB": 1024, "cpuSeconds": timeout})
    env = dict(os.environ, MALLOC_ARENA_MAX="2", SWIFT_BACKTRACE="enable=no")
    try:
        done = subprocess.run([tomed, "extract", "--child"], input=request.encode(), capture_output=True, timeout=timeout + 10, env=env)
    except subprocess.TimeoutExpired:
        return "finding", f"hang: no exit after {timeout + 10} s"
    stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()
    last = stderr[-1] if stderr else ""
    if done.returncode == 0 and done.stdout.startswith(b"TOMEREC"):
        return "ok", ""
    if done.returncode == 1:
        try:
            error = json.loads(done.stdout)["error"]
            return "typed", error["code"]
        except (ValueError, KeyError, TypeError):
            return "finding", f"exit 1 without a typed error: {done.stdout[:200]!r} {last}"
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        return "finding", f"killed by {name}: {last}"
    return "finding", f"exit {done.returncode}: {last}"


def runs_done(counts):
    return sum(counts.values())


def default_seeds():
    seeds = [os.path.join(ROOT, "Samples", "sample.pdf")]
    seeds += [p for p in sorted(glob.glob("/usr/share/doc/*/*.pdf")) if os.path.getsize(p) < 2 << 20][:8]
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tomed", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, help="a fixed number of mutated PDFs instead of --seconds")
    parser.add_argument("--timeout", type=int, default=30, help="CPU seconds one run may take")
    parser.add_argument("--replay-only", action="store_true")
    parser.add_argument("pdfs", nargs="*")
    args = parser.parse_args()

    findings = []
    saved = sorted(glob.glob(os.path.join(REGRESSIONS, "*.pdf")))
    for path in saved:
        verdict, detail = run(args.tomed, path, args.timeout)
        print(f"replay {os.path.basename(path)}: {verdict} {detail}")
        if verdict == "finding":
            findings.append((path, detail))
    if args.replay_only:
        print(f"{len(saved)} saved inputs replayed, {len(findings)} findings")
        return 1 if findings else 0

    seeds = [(p, open(p, "rb").read()) for p in (args.pdfs or default_seeds())]
    rng = random.Random(args.seed)
    counts = {"ok": 0, "typed": 0, "finding": 0}
    codes = {}
    deadline = time.monotonic() + args.seconds
    with tempfile.TemporaryDirectory(prefix="tome-pdf-fuzz-") as work:
        path = os.path.join(work, "input.pdf")
        while (runs_done(counts) < args.runs) if args.runs is not None else (time.monotonic() < deadline):
            name, original = rng.choice(seeds)
            data = mutate(original, rng)
            with open(path, "wb") as f:
                f.write(data)
            verdict, detail = run(args.tomed, path, args.timeout)
            counts[verdict] += 1
            if verdict == "typed":
                codes[detail] = codes.get(detail, 0) + 1
            if verdict == "finding":
                os.makedirs(REGRESSIONS, exist_ok=True)
                saved_as = os.path.join(REGRESSIONS, hashlib.sha1(data).hexdigest() + ".pdf")
                with open(saved_as, "wb") as f:
                    f.write(data)
                findings.append((saved_as, detail))
                print(f"FINDING from {os.path.basename(name)}: {detail} -> {saved_as}", flush=True)
    runs = runs_done(counts)
    print(f"{runs} mutated PDFs from {len(seeds)} seeds (seed {args.seed}): {counts['ok']} extracted, "
          f"{counts['typed']} typed errors {dict(sorted(codes.items()))}, {counts['finding']} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
