# Two commands for a newcomer (see README.md):
#   make publication   install what the build needs, then build tables, data package, charts, pages and the site
#   make test          install what the tests need too, then run every check CI runs (.ci/run calls this)
#   make test-fast     the contributor's loop: the `unit` tier of pytest in parallel, no build, no browser (CONTRIBUTING.md)
# Installs are idempotent and skip work already done (scripts/install.sh).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST ?= $(BIN)/pytest
# pytest-xdist: one worker per core; the tests of a module that share a module-scoped fixture (often a build) stay on
# one worker (the xdist_group tests/conftest.py gives them), the rest are dealt out one by one.
PYTEST_PARALLEL ?= -n auto --dist loadgroup

# site/ is not committed, so its dates come from the commit being built: the same commit gives the same bytes.
# build_tables.py is left alone: its committed outputs take their dates from publication.yml unless the caller
# sets SOURCE_DATE_EPOCH, and `--check` compares against them.
SITE_DATE_EPOCH = $${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 946684800)}

.NOTPARALLEL:
.PHONY: publication test test-fast install install-test tables site lint check validate pytest serve clean

publication: install tables site

test: install-test lint check tables validate site pytest

install:
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/install.sh build

install-test:
	PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/install.sh test

tables:
	$(BIN)/python build_tables.py

site:
	SOURCE_DATE_EPOCH=$(SITE_DATE_EPOCH) $(BIN)/mkdocs build --strict

# ruff 0.17 also formats Python blocks inside Markdown; those are illustrations (ARCHITECTURE.md aligns its comments
# on purpose) or generated pages, so only Python files are held to the formatter.
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --extend-exclude '*.md' .

# Proves the committed datasets/, datapackage.json and docs/ pages are what the code and content produce now.
check:
	$(BIN)/python build_tables.py --check

validate:
	$(BIN)/frictionless validate datapackage.json

# pytest exits 5 when it collects no test; this project has tests, so that means a broken suite, not a pass.
define run_pytest
	@status=0; $(PYTEST) $(PYTEST_PARALLEL) $(1) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make: pytest collected no tests; the test suite is missing or broken" >&2; exit 1; fi; \
	exit $$status
endef

# Every tier: unit, build, browser and bench (the browser tests read the site/ built just before). The slowest tests are
# named at the end, so a run on CI shows where the suite's minutes go.
pytest:
	$(call run_pytest,--durations=25)

# Needs no build and no browser: the committed outputs are enough. Under 90 s on a two-core machine.
test-fast:
	$(call run_pytest,-m unit)

serve:
	$(BIN)/mkdocs serve

clean:
	rm -rf site .pytest_cache
