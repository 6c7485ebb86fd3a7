# The two commands of the README: `make demo` and `make test`.
# Both create .venv from requirements.lock when it is missing.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: demo test test-fast bench doctor tutorial clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m kaolin_pipeline demo

# Two xdist workers on two cores: one torch/OpenMP thread each, or they oversubscribe.
test: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadfile

test-fast: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadfile -m "not slow"

# Each benchmark prints a table and writes benchmarks/results/<name>.json (about 10 minutes in all).
bench: $(STAMP)
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_render.py
	$(PY) benchmarks/bench_export.py
	$(PY) benchmarks/bench_train.py

# Execute examples/dibr_tutorial.ipynb in its full setting (runs/tutorial/); prints its held-out IoU and time.
tutorial: $(STAMP)
	$(PY) examples/run_tutorial.py --out runs/tutorial

doctor: $(STAMP)
	$(PY) -m kaolin_pipeline doctor

clean:
	rm -rf $(VENV) runs .pytest_cache build dist *.egg-info
