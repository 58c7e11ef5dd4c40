"""What the benchmark scripts share: the Debian documents they read, their
extraction by `tomed extract`, a scratch daemon, and HTTP over its socket."""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# Held-out manuals (the figures are reported on these) and tuning manuals (the
# engine's parameters were chosen on these). Each is (package, files).
REPORT = {
    "bzip2": ("bzip2-doc", ["/usr/share/doc/bzip2/manual.pdf.gz"]),
    "debian-reference": ("debian-reference-en", ["/usr/share/debian-reference/debian-reference.en.pdf"]),
    "policy": ("debian-policy", ["/usr/share/doc/debian-policy/policy.txt.gz"]),
    "fullrefman": ("r-doc-pdf", ["/usr/share/R/doc/manual/fullrefman.pdf"]),
    "R-admin": ("r-doc-pdf", ["/usr/share/R/doc/manual/R-admin.pdf"]),
    "R-intro": ("r-doc-pdf", ["/usr/share/R/doc/manual/R-intro.pdf"]),
}
# Held out too: questions in the asker's own words (questions/report-own.jsonl) on manuals no
# parameter was chosen on, written for the semantic head (meaning.py; retrieval.py leaves them out).
OWN_WORDS = {
    "gnuplot": ("gnuplot-doc", ["/usr/share/doc/gnuplot/gnuplot.pdf"]),
    "gnu-standards": ("gnu-standards", ["/usr/share/doc/gnu-standards/standards.html"]),
    "zsh": ("zsh-doc", sorted(glob.glob("/usr/share/doc/zsh-common/html/*.html"))),
}

TUNE = {
    "octave": ("octave-doc", ["/usr/share/doc/octave/octave.pdf"]),
    "valgrind": ("valgrind", ["/usr/share/doc/valgrind/valgrind_manual.pdf.gz"]),
    "bashref": ("bash-doc", ["/usr/share/doc/bash/bashref.pdf"]),
    "R-exts": ("r-doc-pdf", ["/usr/share/R/doc/manual/R-exts.pdf"]),
    "R-lang": ("r-doc-pdf", ["/usr/share/R/doc/manual/R-lang.pdf"]),
    "R-FAQ": ("r-doc-pdf", ["/usr/share/R/doc/manual/R-FAQ.pdf"]),
    "sqlite-lang": ("sqlite3-doc", sorted(glob.glob("/usr/share/doc/sqlite3/lang_*.html"))),
    "git-user-manual": ("git-doc", ["/usr/share/doc/git-doc/user-manual.html"]),
    "pg-sql-ref": ("postgresql-doc-15", sorted(glob.glob("/usr/share/doc/postgresql-doc-15/html/sql-*.html"))),
}


def extract(tomed, name, files, out_dir):
    """`tomed extract --json` of each file, concatenated into one document
    (text and outline offsets): OUT_DIR/NAME.json."""
    path = os.path.join(out_dir, name + ".json")
    if os.path.exists(path):
        return path
    text, outline = "", []
    for f in files:
        if not os.path.exists(f):
            sys.exit(f"missing {f}: run `make bench`, which installs the documentation packages")
        d = json.loads(subprocess.run([tomed, "extract", "--json", f], check=True, capture_output=True).stdout)
        base = len(text.encode())
        outline += [dict(e, offset=e["offset"] + base) for e in d["outline"] if e.get("offset") is not None]
        text += d["text"] + ("\n\n" if len(files) > 1 else "")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"text": text, "outline": outline}, f, ensure_ascii=False)
    return path


def concatenate(paths, path, min_bytes=0):
    """One document of several (texts and shifted outlines), repeated until it has `min_bytes`."""
    text, outline, copies = "", [], 0
    while copies == 0 or len(text.encode()) < min_bytes:
        for p in paths:
            with open(p, encoding="utf-8") as f:
                d = json.load(f)
            base = len(text.encode())
            outline += [dict(e, offset=e["offset"] + base) for e in d["outline"]]
            text += d["text"] + "\n\n"
        copies += 1
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"text": text, "outline": outline}, f, ensure_ascii=False)
    return copies


def prose_haystack(tomed, out_dir):
    """Perl's documentation (perl-doc), pod2text'ed, as plain text through `tomed extract`."""
    path = os.path.join(out_dir, "perl-pods.txt")
    if os.path.exists(path):
        return path
    pods = sorted(glob.glob("/usr/share/perl/*/pod/perl*.pod"))
    if not pods:
        sys.exit("missing Perl's pods: run `make bench`, which installs perl-doc")
    raw = os.path.join(out_dir, "perl-pods.raw")
    with open(raw, "wb") as out:
        for pod in pods:
            out.write(subprocess.run(["pod2text", pod], capture_output=True).stdout + b"\n")
    with open(path, "wb") as out:
        out.write(subprocess.run([tomed, "extract", raw], check=True, capture_output=True).stdout)
    return path


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def request(sock_path, method, path, body=None, timeout=600):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {len(data)}\r\n\r\n"
    s.sendall(head.encode() + data)
    chunks = []
    while True:
        c = s.recv(1 << 16)
        if not c:
            break
        chunks.append(c)
    s.close()
    raw = b"".join(chunks)
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if b"transfer-encoding: chunked" in head.lower():
        out, i = b"", 0
        while True:
            j = rest.index(b"\r\n", i)
            n = int(rest[i:j].split(b";")[0], 16)
            if n == 0:
                break
            out += rest[j + 2:j + 2 + n]
            i = j + 2 + n + 2
        rest = out
    return status, rest


class Daemon:
    """A release `tomed` on a scratch state dir and spool; stopped with SIGTERM."""

    def __init__(self, build, workers=0, pipelines=None, model_dir="", extra_config=""):
        """PIPELINES: {name: TOML text} written to the daemon's pipelines folder before it starts.
        MODEL_DIR: the semantic head's model folder ("": words only, whatever is installed).
        EXTRA_CONFIG: TOML appended to the config (whole tables, e.g. an `[llm]` section)."""
        self.work = tempfile.mkdtemp(prefix="tome-bench-")
        os.makedirs(os.path.join(self.work, "pipelines"))
        for name, toml in (pipelines or {}).items():
            with open(os.path.join(self.work, "pipelines", name + ".toml"), "w", encoding="utf-8") as f:
                f.write(toml)
        self.sock = os.path.join(self.work, "tome.sock")
        self.spool = os.path.join(self.work, "spool")
        os.makedirs(self.spool)
        config = os.path.join(self.work, "tomed.toml")
        with open(config, "w") as f:
            f.write(f'state_dir = "{self.work}/state"\npipelines_dir = "{self.work}/pipelines"\n[spool]\ndir = "{self.spool}"\n'
                    f'settle_ms = 200\n[jobs]\nworkers = {workers}\n[extract]\ntimeout_s = 600\n[engine]\nmodel_dir = "{model_dir}"\n'
                    f'[api]\nsocket = "{self.sock}"\nsocket_group = ""\nrequest_timeout_s = 600\n' + extra_config)
        self.process = subprocess.Popen([os.path.join(build, "tomed"), "--config", config], stderr=subprocess.DEVNULL)
        for _ in range(400):
            if os.path.exists(self.sock):
                return
            time.sleep(0.05)
        sys.exit("tomed did not start")

    def get(self, path):
        status, body = request(self.sock, "GET", path)
        return json.loads(body)

    def wait_done(self, name, timeout=900):
        """Polls every 10 ms until NAME is done (or failed); returns the document."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for d in self.get("/v1/documents?limit=200")["documents"]:
                if d["name"] == name and d["status"] in ("done", "failed"):
                    return d
            time.sleep(0.01)
        sys.exit(f"{name} was not processed in {timeout} s")

    def rss_mb(self):
        """The daemon's resident memory (VmRSS), in MiB."""
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        shutil.rmtree(self.work, ignore_errors=True)
