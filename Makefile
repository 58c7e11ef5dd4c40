# Tome — the two commands a user needs are `make run` and `make test`.
# Both install the Debian packages that are missing first (with sudo when not root).

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=

# Build: C libraries Tome links (SQLite comes with the store), pkg-config to find them.
BUILD_PACKAGES := pkg-config libsqlite3-dev libxml2-dev libpoppler-glib-dev zlib1g-dev
# Tests: cairo writes the test PDFs (with a font), qpdf encrypts one, gzip packs some.
TEST_PACKAGES := libcairo2-dev fonts-dejavu-core qpdf gzip
# Benchmarks: the reference tool and the large real manuals it is compared on.
BENCH_PACKAGES := poppler-utils python3 time r-doc-pdf octave-doc valgrind

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench build deps test-deps bench-deps clean

## make run: install what is missing, build in release mode, and run Tome.
## Until the daemon lands, this extracts the sample documents in Samples/.
run: deps build
	@for f in Samples/*; do \
		echo "== tomed extract --json $$f"; \
		.build/release/tomed extract --json "$$f" || exit 1; \
	done

## make test: install what is missing, build, run every test.
test: deps test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

## make bench: Tome's extraction beside pdftotext on large real PDFs.
bench: deps bench-deps build
	python3 Benchmarks/extract_vs_pdftotext.py --tomed .build/release/tomed

build:
	$(SWIFT) build -c release

deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BUILD_PACKAGES)"
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(TEST_PACKAGES)"
bench-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BENCH_PACKAGES)"

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
