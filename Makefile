# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo example-single-cell test install peers bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo/run_demo.py

example-single-cell: $(STAMP)
	$(PY) examples/single_cell/run_example.py

# BMTK (needs pandas < 3) and its engines in a separate environment, for the interop and
# reference tests and the benchmarks.
peers: $(STAMP)
	$(PY) -m benchmarks.peers > /dev/null

test: $(STAMP) peers
	$(PY) -m pytest -n 2 -q

bench: $(STAMP) peers
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .venv-peers build *.egg-info
