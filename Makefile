# tpi-notes developer commands. `make run` and `make test` are the only set-up a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OFFSCREEN := QT_QPA_PLATFORM=offscreen

.PHONY: run test test-deps lint bench bench-1m resilience screenshots bundle system-deps clean help

help:
	@echo "make run          create .venv, install, open the app on the default database"
	@echo "make test         create .venv, install, run ruff and the whole test suite (PostgreSQL included"
	@echo "                  when a throwaway server can be started: root, or PostgreSQL installed)"
	@echo "make bench        measure against the performance budget (product.md §11) and, pair by pair, against bare baselines (bench/baselines, issue 19)"
	@echo "make bench-1m     history, export and verify on a 1,000,000-session clinic (built once, ~12 min here, cached in ~/.cache/tpi-notes-bench)"
	@echo "make resilience   kill -9, concurrent-save and bad-input campaigns at full size (issue 12; ~15 min)"
	@echo "make screenshots  regenerate the README's pictures (docs/screenshots)"
	@echo "make bundle       build the one-folder desktop app with PyInstaller (dist/tpi-notes/) and smoke-test it"

$(STAMP): pyproject.toml
	@bash .ci/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

system-deps:
	@bash .ci/system-deps.sh

run: $(STAMP)
	$(PY) main.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# What the tests print to (CUPS with a CUPS-PDF queue), installed where it can be (root with apt-get).
test-deps:
	@bash .ci/system-deps.sh --test

test: $(STAMP) lint test-deps
	$(OFFSCREEN) bash .ci/with-postgres.sh bash .ci/pytest-phases.sh $(PY)

bench: $(STAMP)
	$(OFFSCREEN) $(PY) bench/run.py

bench-1m: $(STAMP)
	$(OFFSCREEN) $(PY) bench/big_clinic.py --sessions 1000000

resilience: $(STAMP)
	$(OFFSCREEN) bash .ci/with-postgres.sh $(PY) tests/resilience/run.py --full

screenshots: $(STAMP)
	$(OFFSCREEN) $(PY) docs/make_screenshots.py

# The one-folder desktop bundle (packaging/tpi-notes.spec; about 2 minutes and 300 MB on Linux), then its smoke
# test: the bundled command's --version, demo, note, aftercare, verify, export, and the app started offscreen.
bundle: $(STAMP)
	$(PY) -m pip install --quiet 'pyinstaller>=6.10'
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/tpi-notes.spec
	$(OFFSCREEN) $(PY) packaging/smoke_bundle.py dist/tpi-notes/tpi-notes

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
