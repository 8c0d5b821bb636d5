# bidhall — two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Minutes the live demo lot stays open for bids beyond its 2-minute accelerated period: time
# for a new bidder to sign up, be approved and seal in the browser (LIVE_MINUTES=1: open soon).
LIVE_MINUTES ?= 20

.PHONY: run test setup browser format demo clean bench

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Set up, migrate, load demo data (once) and serve on http://$(HOST):$(PORT)
run: setup
	$(BIN)/bidhall db upgrade
	$(BIN)/bidhall seed --live-minutes $(LIVE_MINUTES)
	@echo "bidhall: open http://$(HOST):$(PORT)/ (portal) and http://$(HOST):$(PORT)/schema (API);"
	@echo "         demo accounts and password are listed in README.md. Ctrl-C to stop."
	$(BIN)/bidhall serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium; the opening-record PDF embeds WenQuanYi Micro Hei
# (TrueType outlines; Noto CJK is CFF, which reportlab cannot embed) and its test reads the PDF
# back with poppler's pdftotext. Install whichever is absent.
browser:
	@{ command -v chromium && command -v pdftotext && \
	   [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; } >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk \
	    fonts-wqy-microhei poppler-utils >/dev/null; }

## Set up the dev environment and run the whole test suite (and the linter)
test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q
	@echo "bidhall: all tests passed ($${BIDHALL_TEST_DATABASE_URL:-SQLite})."

## Every benchmark, one table of figures against their targets (BENCH_ARGS=--quick to try it)
bench: setup
	$(BIN)/python bench/all.py $(BENCH_ARGS)

demo: setup
	$(BIN)/bidhall db upgrade
	$(BIN)/bidhall demo

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache
