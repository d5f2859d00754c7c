# Boucle — entry points. `make run` and `make test` need nothing installed beforehand.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium

.PHONY: install lock run test test-unit test-integration test-e2e test-chaos bench load demo lint fmt chromium system-libs clean containers test-containers test-compose

UV_VERSION := 0.13.8
UV      := $(VENV)/bin/uv

$(UV):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## Exactly the locked versions (requirements-dev.lock: every package, transitive ones included), installed by uv
## (seconds where pip takes a minute) and compiled now: where PYTHONDONTWRITEBYTECODE is set, every process would
## otherwise compile what it imports again. Then the project itself, editable, with nothing more.
$(STAMP): pyproject.toml requirements-dev.lock $(UV)
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

install: $(STAMP) system-libs

## What WeasyPrint (the PDF report) needs from the system: pango and a font.
system-libs:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && test -n "$$(fc-list 2>/dev/null | head -1)"; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig >/dev/null; \
	  else echo "missing: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; exit 1; fi; }

## Broker, SMTP sink, the four services and the gateway; prints the URL. Ctrl-C stops all.
run: install
	$(PY) -m shared.devstack

## The whole suite, through real parts (broker, SMTP, SQLite, PostgreSQL, chromium), in TEST_WORKERS
## processes (each takes whole test files, so a file's stacks start once); the slowest steps are listed.
## The tiers below run one part of it, for quick local loops.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25
test: install chromium
	$(PY) -m compileall -q -j 0 shared services >/dev/null  # the suite starts some 300 processes
	$(PYTEST)

test-unit: install
	$(PYTEST) tests/unit tests/deploy

test-integration: install
	$(PYTEST) tests/integration

test-e2e: install chromium
	$(PYTEST) tests/e2e tests/security tests/browser

test-chaos: install
	$(PYTEST) tests/chaos

## Containers (no registry here: every image is built on this machine). `containers` installs and starts a Docker
## engine when missing (root) and builds the local base images (scripts/containers.sh); `test-containers` runs the
## suite with its PostgreSQL and brokers in containers (testcontainers); `test-compose` starts deploy/compose.yaml
## with the local substitutes (deploy/compose.local.yaml) and runs a company's journey through it.
containers: install
	./scripts/containers.sh

test-containers: containers chromium
	BOUCLE_TEST_CONTAINERS=1 $(PYTEST)

test-compose: containers
	$(PY) -m pytest tests/compose

## Debian's chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium (or set CHROMIUM=/path)"; exit 1; fi; }

## Figures named by the issues: the engine on a synthetic France (LISTINGS=1000000 for the big one),
## then listing → match → email through the running services at 20 listings/s.
LISTINGS ?= 100000
bench: install
	$(PY) -m tests.bench.matching_engine --listings $(LISTINGS)
	$(PY) -m tests.bench.listing_to_email --pairs 200 --rate 10
	$(PY) -m tests.bench.notifications --matches 1500 --rate 50

## Load: 50 listings/s for 5 minutes through a stack of its own (RATE=…, SECONDS=…); figures in BENCHMARKS.md.
RATE ?= 50
SECONDS ?= 300
load: install
	$(PY) -m tests.bench.load --rate $(RATE) --seconds $(SECONDS)

## The same stack, loaded once with a demo territory (shared/data/demo_bertranges.toml) in var/demo; prints
## the accounts to sign in with. `make run` stays empty.
demo: install
	$(PY) -m shared.devstack --demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services

fmt: install
	$(VENV)/bin/ruff format .

## After changing a dependency in pyproject.toml: the images' lock (requirements.lock) and the development one.
## Every lock with the hashes of its files: the shared library's (the images of notifications, its mailer and the
## gateway), one per service that needs more (its image), and the development one (`make install`: all of them).
COMPILE := $(UV) pip compile --quiet --python-version 3.11 --custom-compile-command "make lock" --annotation-style line \
	  --generate-hashes pyproject.toml
lock: $(UV)
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra offers -o requirements-offers.lock
	$(COMPILE) --extra matching -o requirements-matching.lock
	$(COMPILE) --extra reporting -o requirements-reporting.lock
	$(COMPILE) --all-extras -o requirements-dev.lock

clean:
	rm -rf var .pytest_cache
