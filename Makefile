# Two commands set everything up on a fresh machine:
#   make app    install into .venv, build the data from the raw sources, start the app
#   make test   install into .venv (with test tools) and run lint and the test suite
# and one more opens the notebooks:
#   make notebook  install JupyterLab into .venv, build the data, open notebooks/ in it
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: app test install lint format data bench clean notebook

APP_STAMP := $(VENV)/.installed-app
NOTEBOOK_STAMP := $(VENV)/.installed-notebook

# The package and its tests (the test extra includes the app, which the tests drive).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(APP_STAMP)

# The package and the app only (no test tools).
$(APP_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[app]'
	touch $(APP_STAMP)

# JupyterLab, the kernel and matplotlib for the notebooks (the `notebook` extra).
$(NOTEBOOK_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebook]'
	touch $(NOTEBOOK_STAMP)

install: $(STAMP)

data: $(APP_STAMP)
	$(BIN)/service-map data build

app: data
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# mypy: the package (pyproject's `files`), then the app. app.py and the app/ package share
# a name, so they are checked in two runs (one would report a duplicate module).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy app
	$(BIN)/mypy app.py

# On every core (pytest-xdist): a module's tests stay on one worker, and so do the browser
# tests and the AppTest modules (tests/conftest.py). `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

# The data the tests read is built first, as `make app` builds it (about 40 s on a fresh
# clone, nothing when fresh): otherwise one worker builds it while the other waits.
test: lint
	$(BIN)/service-map data build
	$(BIN)/service-map network build
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# NOTEBOOK_ARGS: e.g. `make notebook NOTEBOOK_ARGS=--no-browser` on a server.
NOTEBOOK_ARGS ?=
notebook: $(NOTEBOOK_STAMP) data
	$(BIN)/jupyter lab notebooks/coverage_analysis.ipynb $(NOTEBOOK_ARGS)

bench: data
	$(BIN)/python benchmarks/bench_travel.py
	$(BIN)/python benchmarks/bench_app.py
	$(BIN)/python benchmarks/bench_browser.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
