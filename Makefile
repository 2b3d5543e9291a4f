# The two commands a new user needs: `make run` and `make test`. Both start from nothing but python3.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# At most two glibc heaps per server process, so that memory freed after a visitor's upload can go back to the
# system (kviz.memory.use_returnable_allocators says why; it also caps them when app.py is started any other way).
export MALLOC_ARENA_MAX ?= 2

.PHONY: run serve test test-fast chromium haproxy validate bench

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV) || { echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py

# Many visitors at once: REPLICAS Streamlit processes (default: one per core) behind HAProxy on PORT
# (default 8501), session affinity by cookie; Ctrl-C stops them all. See docs/DEPLOY.md.
REPLICAS ?=
PORT ?= 8501
serve: $(STAMP) haproxy
	@bash scripts/serve.sh $(if $(REPLICAS),--replicas $(REPLICAS)) --port $(PORT)

# Everything: unit, AppTest and browser tests (installs the venv and, when missing, Debian's chromium and haproxy).
test: $(STAMP) chromium haproxy
	$(PY) -m pytest

# Everything except the browser tests (no Chromium needed).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser"

chromium:
	@bash scripts/ensure-chromium.sh

haproxy:
	@bash scripts/ensure-haproxy.sh

validate: $(STAMP)
	$(PY) -m kviz validate

# Speed: the benchmark table of benchmarks/README.md (~15 min; `make bench ARGS=--quick` < 3 min). Not a test.
bench: $(STAMP) chromium
	$(PY) benchmarks/run.py $(ARGS)
