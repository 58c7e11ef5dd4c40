#!/usr/bin/env python3
"""Chaos: a seeded mix of files dropped into a real tomed that is killed with
SIGKILL at random moments — while it starts, while it rebuilds a corpus
memory lost or damaged on purpose, while it works — then every check of what
must hold:

- every distinct content is exactly one document (nothing lost, nothing
  stored twice), the broken ones failed with a typed error;
- every text is byte for byte what `tomed extract` gives for its file;
- the corpus memory's counters and figures equal those of a clean daemon
  that took the same files without a kill, and no start rebuilt it after a
  plain kill (only after the loss or damage, or to finish such a rebuild);
- `PRAGMA integrity_check` is ok; the spool is empty; no `.part` file is left;
- what a hostile spool writer did moved, changed or deleted nothing outside
  the spool: a folder swapped for a link to an outside folder (holding a
  file of the same name) while its file is processed, hard links to
  outside files (left alone); every kept file hashes to its document's
  hash; no extraction child outlives a killed daemon.

Usage: Tests/Chaos/chaos.py [--build .build/release] [--seed 1] [--files 300] [--kills 25]
       (`make chaos`; `--files 40 --kills 6` is the fast version `make test` runs)
"""
import argparse
import glob
import gzip
import hashlib
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = [p for p in sorted(glob.glob("/usr/share/doc/*/*.html"))[:40] + sorted(glob.glob("/usr/share/doc/*/*.pdf"))[:10] if os.path.isfile(p)]
WORDS = ("harbour cargo tide ledger anchor pilot beacon channel dredge quay ferry customs manifest tonnage berth "
         "crane pallet invoice freight vessel mooring lighthouse buoy hull keel rudder").split()


def request(sock, method, path, body=b"", timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out, i = b"", 0
        while True:
            j = rest.index(b"\r\n", i)
            n = int(rest[i:j], 16)
            if n == 0:
                break
            out += rest[j + 2:j + 2 + n]
            i = j + 2 + n + 2
        rest = out
    return int(head.split(b" ")[1]), rest


class Daemon:
    def __init__(self, build, work):
        self.build, self.work = build, work
        self.sock = os.path.join(work, "tome.sock")
        self.spool = os.path.join(work, "spool")
        self.state = os.path.join(work, "state")
        os.makedirs(self.spool, exist_ok=True)
        self.config = os.path.join(work, "tomed.toml")
        with open(self.config, "w") as f:
            f.write(f'state_dir = "{self.state}"\npipelines_dir = "{work}/pipelines"\n[spool]\ndir = "{self.spool}"\nsettle_ms = 200\n'
                    f'scan_interval_s = 1\n[jobs]\nworkers = 2\nretries = 3\nretry_backoff_s = 0.2\nmin_free_mb = 0\n'
                    f'[extract]\ntimeout_s = 60\n[api]\nsocket = "{self.sock}"\nsocket_group = ""\n')
        self.process = None
        self.log = open(os.path.join(work, "tomed.log"), "ab")
        self.starts = []  # (log offset, whether the corpus memory was lost or damaged on purpose before it)

    def start(self, forced_rebuild=False):
        self.starts.append((os.path.getsize(self.log.name), forced_rebuild))
        self.process = subprocess.Popen([os.path.join(self.build, "tomed"), "--config", self.config], stderr=self.log, stdout=self.log)

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if request(self.sock, "GET", "/v1/health", timeout=2)[0] in (200, 503):
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                sys.exit(f"tomed exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.05)
        sys.exit("tomed did not answer")

    def children(self):
        """The daemon's extraction children (their parent is the daemon)."""
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    command = f.read()
            except (OSError, ValueError):
                continue
            if int(fields[1]) == self.process.pid and b"extract" in command:
                found.append(int(entry))
        return found

    def kill(self):
        """SIGKILL; returns the extraction children still alive 2 s later (they must die with the daemon)."""
        if not self.process or self.process.poll() is not None:
            return []
        children = self.children()
        self.process.kill()
        self.process.wait()
        deadline = time.time() + 2
        while True:
            left = [pid for pid in children if os.path.exists(f"/proc/{pid}") and not zombie(pid)]
            if not left or time.time() > deadline:
                break
            time.sleep(0.05)
        for pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        return left

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def documents(self):
        return json.loads(request(self.sock, "GET", "/v1/documents?limit=1000")[1])["documents"]

    def settle(self, expected, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            docs = self.documents()
            if len(docs) >= expected and all(d["status"] in ("done", "failed") for d in docs):
                return docs
            time.sleep(0.2)
        docs = self.documents()
        sys.exit(f"not settled: {len(docs)} of {expected} documents; unfinished "
                 f"{[(d['name'], d['status']) for d in docs if d['status'] not in ('done', 'failed')]}; spool {os.listdir(self.spool)[:10]}")


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def make_files(rng, count):
    """(name, bytes, broken) for `count` files: texts of 1 KB to 2 MB, real HTML and PDFs, gzip, broken files, duplicates."""
    files = []
    while len(files) < count:
        roll = rng.random()
        n = len(files)
        if roll < 0.45:
            size = int(1000 * (2000 ** rng.random()))
            words = [rng.choice(WORDS) for _ in range(size // 7)]
            text = "\n\n".join(" ".join(words[i:i + 120]).capitalize() + "." for i in range(0, len(words), 120))
            files.append((f"gen{n:03d}.txt", text.encode(), False))
        elif roll < 0.65 and REAL:
            path = rng.choice(REAL)
            with open(path, "rb") as f:
                files.append((f"real{n:03d}{os.path.splitext(path)[1]}", f.read(), False))
        elif roll < 0.72:
            body = " ".join(rng.choice(WORDS) for _ in range(5000)).encode()
            files.append((f"packed{n:03d}.txt.gz", gzip.compress(body), False))
        elif roll < 0.82:
            kind = rng.choice(["empty", "garbage", "truncated-pdf", "pdf-header"])
            body = {"empty": b"", "garbage": bytes(rng.getrandbits(8) for _ in range(3000)),
                    "truncated-pdf": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "pdf-header": b"%PDF-1.7\n" + b"\x00" * 100}[kind]
            files.append((f"broken{n:03d}.pdf", body, True))
        elif files:
            name, body, broken = rng.choice(files)
            files.append((f"copy{n:03d}-{name}", body, broken))
    return files


def drop(rng, daemon, name, body, outside):
    """Into the spool by one of the ways users do it: written in place, slowly, renamed in, or uploaded;
    or as a hostile writer does: renamed into a folder that is then swapped for a link to `outside`."""
    how = rng.random()
    target = os.path.join(daemon.spool, name)
    if how < 0.08 and body:
        # The folder is renamed away (its file is taken from there, if the daemon has not claimed it yet)
        # and replaced by a link to a folder outside the spool that holds a file of the same name.
        folder = os.path.join(daemon.spool, "race-" + name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "." + name + ".part"), "wb") as f:
            f.write(body)
        os.rename(os.path.join(folder, "." + name + ".part"), os.path.join(folder, name))
        time.sleep(rng.uniform(0, 0.3))
        os.rename(folder, folder + ".moved")
        with open(os.path.join(outside, name), "wb") as f:
            f.write(b"VICTIM " + name.encode())
        os.symlink(outside, folder)
        return "swap"
    if how < 0.12:
        # A hard link to a file outside: left alone, never a document (the file itself is dropped too).
        victim = os.path.join(outside, "linked-" + name)
        with open(victim, "wb") as f:
            f.write(b"VICTIM " + name.encode())
        os.link(victim, os.path.join(daemon.spool, "linked-" + name))
        hostile = "link"
    else:
        hostile = None
    if how < 0.4:
        with open(target, "wb") as f:
            f.write(body)
    elif how < 0.6:
        with open(target, "wb") as f:
            for i in range(0, len(body), max(1, len(body) // 4)):
                f.write(body[i:i + max(1, len(body) // 4)])
                f.flush()
                time.sleep(0.02)
    elif how < 0.85 or not body:
        with open(target + ".part", "wb") as f:
            f.write(body)
        os.rename(target + ".part", target)
    else:
        try:
            request(daemon.sock, "POST", f"/v1/documents?name={name}", body, timeout=10)
        except OSError:
            with open(target, "wb") as f:  # the daemon was down: the file goes in by hand
                f.write(body)
    return hostile


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=".build/release")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = make_files(rng, args.files)
    work = tempfile.mkdtemp(prefix="tome-chaos-")
    chaos = Daemon(args.build, os.path.join(work, "chaos"))
    outside = os.path.join(work, "outside")
    os.makedirs(outside)
    kills = {"start": 0, "rebuild": 0, "work": 0}
    hostile = {"swap": 0, "link": 0, None: 0}
    orphans = []
    try:
        chaos.start()
        chaos.wait_ready()
        pending = list(files)
        while pending or sum(kills.values()) < args.kills:
            batch = rng.randint(3, 12)
            for name, body, _ in pending[:batch]:
                try:
                    hostile[drop(rng, chaos, name, body, outside)] += 1
                except OSError:
                    pass
            pending = pending[batch:]
            if sum(kills.values()) >= args.kills:
                continue
            time.sleep(rng.uniform(0.05, 1.5))
            orphans += chaos.kill()
            kills["work"] += 1
            moment = rng.random()
            if moment < 0.2:
                # Killed again while it starts.
                chaos.start()
                time.sleep(rng.uniform(0.0, 0.3))
                orphans += chaos.kill()
                kills["start"] += 1
            elif moment < 0.35:
                # Killed while it rebuilds a corpus memory lost or damaged (4 MB of 0xFF over its counters).
                memory = os.path.join(chaos.state, "engram.mem")
                if rng.random() < 0.5 or not os.path.exists(memory):
                    try:
                        os.unlink(memory)
                    except FileNotFoundError:
                        pass
                else:
                    with open(memory, "r+b") as f:
                        f.seek(8 << 20)
                        f.write(b"\xff" * (4 << 20))
                chaos.start(forced_rebuild=True)
                time.sleep(rng.uniform(0.05, 0.4))
                orphans += chaos.kill()
                kills["rebuild"] += 1
            chaos.start()
            chaos.wait_ready()
        distinct = {}
        for name, body, broken in files:
            distinct.setdefault(hashlib.sha256(body).hexdigest(), (name, body, broken))
        docs = chaos.settle(len(distinct))
        problems = check(args, chaos, files, distinct, docs, work, outside)
        if orphans:
            problems.append(f"extraction children outlived a killed daemon: {orphans[:5]}")
        rebuilds = sum(log_segments(chaos, lambda segment: REBUILD in segment or DAMAGE in segment))
        print(f"files {len(files)} ({len(distinct)} distinct, {sum(1 for *_, b in distinct.values() if b)} broken), "
              f"SIGKILLs {sum(kills.values())} (while working {kills['work']}, starting {kills['start']}, rebuilding {kills['rebuild']}), "
              f"{len(chaos.starts)} starts, {rebuilds} of them rebuilt the corpus memory ({kills['rebuild']} lost or damaged on purpose), "
              f"{hostile['swap']} folders swapped for links while their file was taken, {hostile['link']} hard links, seed {args.seed}")
        if problems:
            for p in problems[:30]:
                print("PROBLEM:", p)
            print(f"{len(problems)} problems; scratch kept in {work}")
            args.keep = True
            sys.exit(1)
        print("every check held: one document per content, texts byte-identical to tomed extract, corpus memory equal to a clean "
              "ingest's and never rebuilt after a plain kill, integrity_check ok, spool empty, no .part files, nothing outside "
              "the spool touched, every kept file its document's content, no child outlived a kill")
    finally:
        chaos.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


REBUILD = "rebuilding the corpus memory"
DAMAGE = "do not match their checksums"
RESUME = "resuming the corpus memory's rebuild"
REBUILT = "corpus memory rebuilt"


def log_segments(daemon, predicate):
    """predicate(log since start i, up to start i+1) for every start."""
    with open(daemon.log.name, "r", errors="replace") as f:
        text = f.read()
    offsets = [o for o, _ in daemon.starts] + [len(text.encode())]
    data = text.encode()
    return [predicate(data[offsets[i]:offsets[i + 1]].decode(errors="replace")) for i in range(len(daemon.starts))]


def check(args, chaos, files, distinct, docs, work, outside):
    problems = []
    # Nothing outside the spool was moved, changed or deleted.
    for victim in sorted(os.listdir(outside)):
        with open(os.path.join(outside, victim), "rb") as f:
            if not f.read().startswith(b"VICTIM "):
                problems.append(f"a file outside the spool changed: {victim}")
    # A kill costs no rebuild of the corpus memory: only a start after it was lost or damaged on
    # purpose rebuilds it, and the start after one whose rebuild was cut short resumes or redoes it.
    unfinished = False
    for i, segment in enumerate(log_segments(chaos, lambda segment: segment)):
        forced = chaos.starts[i][1]
        rebuilt = REBUILD in segment or DAMAGE in segment or RESUME in segment
        if rebuilt and not (forced or unfinished):
            problems.append(f"start {i + 1} rebuilt the corpus memory after a plain kill")
        unfinished = (forced or unfinished) and REBUILT not in segment
    by_hash = {}
    for d in docs:
        if d["sha256"] in by_hash:
            problems.append(f"content stored twice: {d['name']} and {by_hash[d['sha256']]['name']}")
        by_hash[d["sha256"]] = d
    scratch = os.path.join(work, "expected")
    os.makedirs(scratch, exist_ok=True)
    for digest, (name, body, broken) in distinct.items():
        d = by_hash.get(digest)
        if d is None:
            problems.append(f"lost: {name}")
            continue
        # What a clean `tomed extract` of the file gives: its text, or a typed failure.
        path = os.path.join(scratch, name)
        with open(path, "wb") as f:
            f.write(body)
        expected = subprocess.run([os.path.join(args.build, "tomed"), "extract", "--json", path], capture_output=True)
        if expected.returncode == 0:
            want = json.loads(expected.stdout)["text"].encode()
            status, got = request(chaos.sock, "GET", f"/v1/documents/{d['id']}/text")
            if d["status"] != "done" or got != want:
                problems.append(f"{name}: {d['status']}, text {'differs' if got != want else 'same'}")
        elif d["status"] != "failed":
            problems.append(f"{name}: extract fails but the document is {d['status']}")
        elif d.get("error", {}).get("code") != json.loads(expected.stdout)["error"]["code"]:
            problems.append(f"{name}: failed with {d.get('error')}, extract says {expected.stdout[:80]}")
    db = sqlite3.connect(os.path.join(chaos.state, "tome.sqlite"))
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        problems.append("integrity_check failed")
    db.close()
    # Left in the spool: only what Tome must leave alone (links, hard links) and the folders swapped away.
    left = []
    for folder, dirs, names in os.walk(chaos.spool):
        for name in names:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if not name.startswith(".") and not os.path.islink(path) and info.st_nlink == 1:
                left.append(os.path.relpath(path, chaos.spool))
    if left:
        problems.append(f"left in the spool: {left[:5]}")
    # Every kept file is its document's content (a file changed after it was taken would be stored under the old hash).
    db = sqlite3.connect(os.path.join(chaos.state, "tome.sqlite"))
    for digest, kept in db.execute("SELECT d.sha256, j.disposed_path FROM documents d JOIN jobs j ON j.document_id = d.id "
                                   "WHERE j.disposed_path IS NOT NULL"):
        if os.path.exists(kept):
            with open(kept, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != digest:
                    problems.append(f"the kept file {kept} is not its document's content")
    db.close()
    parts = [p for p in glob.glob(os.path.join(chaos.state, "**", "*.part"), recursive=True)] + \
            [p for p in glob.glob(os.path.join(chaos.state, "**", ".*.part"), recursive=True)]
    if parts:
        problems.append(f".part files left: {parts[:5]}")
    # A clean daemon takes the same contents once each; its corpus memory's counters must be the same.
    clean = Daemon(args.build, os.path.join(work, "clean"))
    for i, (digest, (name, body, broken)) in enumerate(sorted(distinct.items())):
        with open(os.path.join(clean.spool, f"{i:04d}-{name}"), "wb") as f:
            f.write(body)
    clean.start()
    clean.wait_ready()
    clean.settle(len(distinct))
    # The figures the header holds (documents, n-grams per order) show in salience; the counters are compared byte for byte.
    figures = []
    for daemon in (chaos, clean):
        wait_memory_ready(daemon)
        figures.append([json.loads(request(daemon.sock, "GET", f"/v1/engram?q={w}")[1]) for w in WORDS[:5]])
    if figures[0] != figures[1]:
        problems.append(f"the corpus memory's figures differ from a clean ingest's: {figures[0][0]} vs {figures[1][0]}")
    clean.stop()
    chaos.stop()
    with open(os.path.join(chaos.state, "engram.mem"), "rb") as a, open(os.path.join(clean.state, "engram.mem"), "rb") as b:
        ca, cb = a.read(), b.read()
    if ca[4096:] != cb[4096:]:
        problems.append("the corpus memory's counters differ from a clean ingest's")
    return problems


def wait_memory_ready(daemon, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if json.loads(request(daemon.sock, "GET", "/v1/status")[1])["memory"]["state"] == "ready":
            return
        time.sleep(0.1)
    sys.exit("the corpus memory did not become ready")


if __name__ == "__main__":
    main()
