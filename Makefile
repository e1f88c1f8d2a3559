# Two commands do all the set-up: `make demo` (the main job) and `make test` (every test).
# Both create .venv on first use, install the package with its pinned dev stack, and are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cct_nb-installed

.PHONY: install demo test test-slow browser-test screenshots notebook-times export clean-nbs readme

install: $(STAMP)

$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: install  ## the main job: CCT and the supervised baseline on the embedded scenes (CPU, minutes)
	$(BIN)/cct_nb_train --out runs/demo --overwrite --compare

test: install  ## every notebook (nbdev_test, without #| slow cells) and tests/ (pytest); ends with "N passed, N failed"
	$(BIN)/python scripts/run_tests.py

test-slow: install  ## the same with the #| slow cells, their long runs included (CCT_NB_LONG_RUNS=1)
	CCT_NB_LONG_RUNS=1 $(BIN)/python scripts/run_tests.py --flags slow

browser-test: install  ## JupyterLab in headless Chromium (apt-get install chromium): the widget notebooks, every cell (#| slow too), controls moved
	CCT_NB_BROWSER_FULL=1 CCT_NB_LONG_RUNS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_browser.py

screenshots: install  ## refresh docs/screenshots/ from the browser test (the explorers after their controls were moved)
	CCT_NB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_browser.py

notebook-times: install  ## every notebook, all cells, in a fresh kernel in JupyterLab: seconds -> benchmarks/results/notebook_times.json
	$(BIN)/python scripts/lab_browser.py time

export: install  ## notebooks -> library, cleaned notebooks, README from index.ipynb
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python scripts/sync_readme.py
