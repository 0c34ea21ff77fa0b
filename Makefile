# Two commands on a fresh machine: `make run` (the main job) and `make test`.
# PYTHON: the newest Python >= 3.11 found (python3.13, python3.12, python3.11, python3; pyenv's versions
# too: scripts/find_python.sh), or say which: `make test PYTHON=python3.11`. VENV: where to install
# (one per Python: `make test VENV=.venv-3.13 PYTHON=python3.13`). EXTRAS: the optional extras to
# install besides dev (`EXTRAS=dev,ema` for the EMA Workbench adapter, Python >= 3.12).
PYTHON ?= $(shell scripts/find_python.sh || echo python3)
VENV   ?= .venv
EXTRAS ?= dev
BIN    := $(VENV)/bin
# pytest processes for make test / test-all (pytest-xdist; whole files per process, so a file's fixtures are built once)
TEST_WORKERS ?= auto
STAMP  := $(VENV)/.installed
export SOLARA_TELEMETRY_MIXPANEL_ENABLE := False

.PHONY: install run test test-all golden lint bench bench-all validate cmo calibrate lopo dashboard clean

$(STAMP): pyproject.toml scripts/setup_assets.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python --version
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	$(BIN)/python scripts/setup_assets.py
	$(BIN)/python -m abm.warmup  # compile the model's mechanisms once (numba, cached on disk)
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/abm experiment experiments/specs/experiment/ontario.yaml --out results/ontario
	@echo "Results are in results/ontario (summary tables, ensemble plots, manifest.json)."

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow" tests  # golden included: a refactor that moves the numbers fails here

# A refactor that must not change the model's numbers: P1-P6 x 20 seeds against the stored snapshot.
golden: $(STAMP)
	$(BIN)/python -m pytest -q -m golden tests

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests

lint: $(STAMP)
	$(BIN)/ruff check abm experiments dashboards tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

# The other benchmarks: experiment machinery, the shipped P4 Sobol spec, the dashboard (each prints JSON).
bench-all: bench
	$(BIN)/python benchmarks/bench_experiments.py
	$(BIN)/python benchmarks/bench_sensitivity.py --N 512 --workers 2
	$(BIN)/python benchmarks/bench_dashboard.py

validate: $(STAMP)
	$(BIN)/abm validate --replicates 100 --out results/validation --docs docs/VALIDATION.md

cmo: $(STAMP)
	$(BIN)/abm cmo --replicates 100 --out results/cmo --docs docs/VALIDATION.md

# The shipped joint fit of P1-P6 to the pattern suite (ABC-SMC); rewrites the calibration blocks of
# docs/VALIDATION.md and README.md. Resumes if interrupted (delete results/calibration/patterns to start over).
calibrate: $(STAMP)
	$(BIN)/abm calibrate patterns --out results/calibration/patterns --docs docs/VALIDATION.md --readme README.md

# Leave-one-pattern-out: the shipped spec fitted six times, pattern P (1..6) held out, into
# results/calibration/lopo-P (each fit resumes if interrupted); then the held-out pass rates, next to
# the full fit's (results/calibration/patterns, if `make calibrate` made it), rewrite the lopo block
# of docs/VALIDATION.md.
LOPO := 1 2 3 4 5 6
lopo: $(STAMP)
	for p in $(LOPO); do $(BIN)/abm calibrate patterns --holdout $$p --out results/calibration/lopo-$$p --no-progress || exit $$?; done
	$(BIN)/abm calibrate-lopo $(foreach p,$(LOPO),results/calibration/lopo-$(p)) --full results/calibration/patterns --docs docs/VALIDATION.md

dashboard: $(STAMP)
	$(BIN)/abm dashboard

clean:
	rm -rf $(VENV) .venv-3.* results *.egg-info
