#!/usr/bin/env python3
"""Load: 64 clients hold a real tomed busy for 60 s with what readers do —
ask one document or all, list, read a text, look up a phrase in the corpus
memory — while a probe reads /v1/health every 100 ms and the daemon's
memory is sampled every second.

It fails (exit 1) on any answer other than 200, on a health answer over
1 s, or when the daemon's memory grows by more than 20% between the end of
the first quarter of the run and its end. It prints, per kind of request,
the count and p50/p99 latency, and health's p50/p99 under the load.

The corpus: real HTML and PDF manuals from /usr/share/doc and texts
generated from a seed; the questions are drawn from the same seed, of the
kinds users ask (a name, a number, a phrase).

Usage: Tests/Chaos/load.py [--build .build/release] [--clients 64] [--seconds 60] [--seed 1]
       (`make load`)
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaos import REAL, WORDS, Daemon, request  # noqa: E402


PROCESSES = 4  # client processes; the health probe has one more


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def corpus(rng, count):
    """(name, bytes): real manuals and generated texts with names and numbers in them."""
    files = [(f"real{i:02d}{os.path.splitext(p)[1]}", open(p, "rb").read()) for i, p in enumerate(REAL[:count // 2])]
    while len(files) < count:
        n = len(files)
        lines = []
        for k in range(400):
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            lines.append(f"Vessel V-{n:02d}{k:03d} ({rng.choice(WORDS).capitalize()} Line) paid {rng.randint(100, 99999)} EUR; {words}.")
        files.append((f"gen{n:02d}.txt", "\n".join(lines).encode()))
    return files


def questions(rng, count):
    kinds = [
        lambda: f"Which vessel paid {rng.randint(100, 99999)} EUR?",
        lambda: f"What did V-{rng.randint(0, 19):02d}{rng.randint(0, 399):03d} pay?",
        lambda: f"Who operates the {rng.choice(WORDS)} {rng.choice(WORDS)}?",
        lambda: f"What does the manual say about {rng.choice(['options', 'errors', 'memory', 'installation', 'licence'])}?",
    ]
    return [rng.choice(kinds)() for _ in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--documents", type=int, default=24)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="tome-load-")
    daemon = Daemon(os.path.abspath(args.build), work)
    with open(daemon.config, "a") as f:
        f.write("max_connections = 256\nmax_connections_per_peer = 256\n")
    daemon.start()
    daemon.wait_ready()
    files = corpus(rng, args.documents)
    for name, body in files:
        with open(os.path.join(daemon.spool, name), "wb") as f:
            f.write(body)
    distinct = len({hashlib.sha256(body).digest() for _, body in files})
    docs = [d for d in daemon.settle(distinct, timeout=600) if d["status"] == "done"]
    ids = [d["id"] for d in docs]
    asked = questions(rng, 500)
    phrases = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))) for _ in range(200)]

    idle = []
    for _ in range(50):
        started = time.time()
        request(daemon.sock, "GET", "/v1/health")
        idle.append((time.time() - started) * 1000)
        time.sleep(0.02)
    cpu_before = cpu_seconds(daemon.process.pid)
    stop = time.time() + 5 + args.seconds  # the processes below take a moment to start
    begun = stop - args.seconds
    fork = multiprocessing.get_context("fork")  # the clients are closures over this run's corpus
    results = fork.Queue()

    def client(seed):
        """One client: requests back to back until the end; returns [(kind, ms, status)]."""
        local = random.Random(seed)
        while time.time() < begun:
            time.sleep(0.01)
        seen = []
        while time.time() < stop:
            roll = local.random()
            if roll < 0.25:
                kind, method, path = "ask", "POST", f"/v1/documents/{local.choice(ids)}/ask"
            elif roll < 0.35:
                kind, method, path = "ask all", "POST", "/v1/ask"
            elif roll < 0.6:
                kind, method, path = "list", "GET", "/v1/documents?limit=50"
            elif roll < 0.8:
                kind, method, path = "text", "GET", f"/v1/documents/{local.choice(ids)}/text"
            else:
                kind, method, path = "engram", "GET", f"/v1/engram?q={urllib.parse.quote_plus(local.choice(phrases))}"
            body = json.dumps({"question": local.choice(asked), "k": 5}).encode() if method == "POST" else b""
            started = time.time()
            try:
                status = request(daemon.sock, method, path, body)[0]
            except OSError as error:
                status = f"{type(error).__name__}: {error}"
            seen.append((kind, (time.time() - started) * 1000, status))
        return seen

    def health():
        """The probe, in a process of its own so that the clients' interpreter does not delay it."""
        while time.time() < begun:
            time.sleep(0.01)
        seen = []
        while time.time() < stop:
            started = time.time()
            try:
                status = request(daemon.sock, "GET", "/v1/health", timeout=10)[0]
            except OSError as error:
                status = f"{type(error).__name__}: {error}"
            seen.append(("health", (time.time() - started) * 1000, status))
            time.sleep(0.1)
        return seen

    def worker(index, count):
        """`count` client threads in one process (several processes: one interpreter would be the bottleneck)."""
        found = []
        lock = threading.Lock()

        def run(seed):
            seen = client(seed)
            with lock:
                found.extend(seen)
        threads = [threading.Thread(target=run, args=(args.seed * 1000 + index * 100 + i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        results.put(found)

    processes = [fork.Process(target=worker, args=(i, args.clients // PROCESSES + (i < args.clients % PROCESSES)))
                 for i in range(PROCESSES)]
    processes.append(fork.Process(target=lambda: results.put(health())))
    for p in processes:
        p.start()
    memory = []
    while time.time() < stop:
        memory.append((time.time(), rss_kib(daemon.process.pid)))
        time.sleep(1)
    cpu = cpu_seconds(daemon.process.pid) - cpu_before
    seen = [entry for _ in processes for entry in results.get()]
    for p in processes:
        p.join()
    daemon.stop()
    latencies = {kind: [] for kind in ("ask", "ask all", "list", "text", "engram", "health")}
    statuses = {}
    for kind, ms, status in seen:
        latencies[kind].append(ms)
        statuses[(kind, status)] = statuses.get((kind, status), 0) + 1

    problems = []
    errors = {k: v for k, v in statuses.items() if k[1] != 200}
    if errors:
        problems.append(f"answers other than 200: {errors}")
    print(f"{args.clients} clients for {args.seconds:.0f} s on {len(ids)} documents ({sum(d.get('tokens') or 0 for d in docs)} tokens), seed {args.seed}")
    print(f"{'request':<10} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}")
    total = 0
    for kind, values in latencies.items():
        if kind != "health":
            total += len(values)
        print(f"{kind:<10} {len(values):>7} {percentile(values, 0.5):>8.1f} {percentile(values, 0.99):>8.1f}")
    print(f"health alone, before the load: p50 {percentile(idle, 0.5):.1f} ms, p99 {percentile(idle, 0.99):.1f} ms")
    print(f"{total / args.seconds:.0f} requests/s, {sum(errors.values())} errors; the daemon used {cpu:.0f} CPU s of the "
          f"{args.seconds * os.cpu_count():.0f} the {os.cpu_count()} cores had (the clients, on the same cores, the rest)")
    if latencies["health"] and max(latencies["health"]) > 1000:
        problems.append(f"health took up to {max(latencies['health']):.0f} ms")
    quarter = [kib for t, kib in memory if t - begun >= args.seconds / 4]
    if quarter:
        first, last, peak = quarter[0], quarter[-1], max(kib for _, kib in memory)
        print(f"daemon memory: {first / 1024:.0f} MiB after a quarter of the run, {last / 1024:.0f} MiB at the end, peak {peak / 1024:.0f} MiB")
        if last > first * 1.2:
            problems.append(f"memory grew from {first} to {last} KiB")
    for problem in problems:
        print("PROBLEM:", problem)
    if problems:
        print(f"scratch kept in {work}")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("load held")


if __name__ == "__main__":
    main()
