# Everything a developer or CI needs, from a fresh machine: Python deps in .venv, Azurite in node_modules.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AZURITE := node_modules/.bin/azurite
AZURITE_FLAGS := --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --loose --silent
PORT_OPEN := $(PYTHON) -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1',10002)))"
SCENARIO ?= shared/devtools/scenarios/northwind.json
REPORT ?= reports/northwind.json
PYTEST_ARGS ?=
# Test files spread over 4 workers (a file's tests stay together, so module fixtures are shared): the
# suite mostly waits on Azurite, the simulators and the fakes, so 4 beat 2 cores' worth. `PARALLEL=` for one.
PARALLEL ?= -n 4 --dist loadfile
PSA ?= directory
PORT ?= 0

.PHONY: setup demo serve test lint bench azurite-start azurite-stop clean

setup: $(VENV)/.installed $(AZURITE)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(AZURITE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The local demo: the northwind scenario through Azurite, the Graph simulator and the real queue handlers.
demo: setup
	@started=0; if ! $(PORT_OPEN) 2>/dev/null; then $(MAKE) -s azurite-start && started=1; fi; \
	mkdir -p $(dir $(REPORT)); \
	$(PY) -m shared.cli simulate $(SCENARIO) --report $(REPORT); rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) -s azurite-stop; fi; exit $$rc

# The app on this machine for a browser: Azurite, the Graph simulator and the PSA ($(PSA)) with the demo
# scenario, the queue worker, and the HTTP app on 127.0.0.1:$(PORT) (0: a free port), signed in as the
# development identity. Prints the console's URL; Ctrl-C stops it (and Azurite, if started here).
serve: setup
	@started=0; if ! $(PORT_OPEN) 2>/dev/null; then $(MAKE) -s azurite-start && started=1; fi; \
	trap : INT TERM; \
	LOCAL_DEV_IDENTITY=true $(PY) -m shared.devtools.serve --scenario $(SCENARIO) --psa $(PSA) --port $(PORT); rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) -s azurite-stop; fi; exit $$rc

# Unit + integration tests (integration tests use Azurite, started here if it is not running).
test: setup
	@started=0; if ! $(PORT_OPEN) 2>/dev/null; then $(MAKE) -s azurite-start && started=1; fi; \
	$(PY) -m pytest -q $(PARALLEL) $(PYTEST_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) -s azurite-stop; fi; exit $$rc

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

bench: setup
	@started=0; if ! $(PORT_OPEN) 2>/dev/null; then $(MAKE) -s azurite-start && started=1; fi; \
	$(PY) -m shared.cli bench $(BENCH_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) -s azurite-stop; fi; exit $$rc

azurite-start: $(AZURITE)
	@mkdir -p .azurite
	@cd .azurite && (setsid ../$(AZURITE) $(AZURITE_FLAGS) > azurite.log 2>&1 & echo $$! > azurite.pid)
	@for i in $$(seq 1 100); do $(PORT_OPEN) 2>/dev/null && exit 0; sleep 0.2; done; \
	  echo "Azurite did not start:"; cat .azurite/azurite.log; exit 1

azurite-stop:
	@if [ -f .azurite/azurite.pid ]; then kill $$(cat .azurite/azurite.pid) 2>/dev/null || true; rm -f .azurite/azurite.pid; fi

clean: azurite-stop
	rm -rf $(VENV) node_modules .azurite reports .pytest_cache .mypy_cache .ruff_cache
