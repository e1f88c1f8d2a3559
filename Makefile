# Two commands do all the set-up: `make demo` (the main job) and `make test` (every test).
# Both create .venv on first use, install the package with its pinned dev stack, and are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cct_nb-installed
CAMVID ?= ../shared/data/camvid
SEED   ?= 0

.PHONY: install demo test test-slow lab site browser-test screenshots notebook-times export experiments camvid-overfit

install: $(STAMP)

$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: install  ## the main job: CCT and the supervised baseline on the embedded scenes (CPU, minutes)
	$(BIN)/cct_nb_train --out runs/demo --overwrite --compare

test: install  ## every notebook (nbdev_test, without #| slow cells), tests/ (pytest) and the lessons in JupyterLab; ends with "N passed, N failed"
	$(BIN)/python scripts/run_tests.py

test-slow: install  ## the same with the #| slow cells, their long runs included (CCT_NB_LONG_RUNS=1)
	CCT_NB_LONG_RUNS=1 $(BIN)/python scripts/run_tests.py --flags slow

lab: install  ## JupyterLab on the course (open nbs/lessons/01_scenes.ipynb)
	$(BIN)/jupyter lab --notebook-dir=.

site: install  ## the lessons executed and rendered with their outputs to a static HTML site in _site/ (readable without Python)
	$(BIN)/python scripts/build_site.py --out _site

browser-test: install  ## the lessons in JupyterLab in headless Chromium (apt-get install chromium) on a fresh data folder, controls moved, the site checked
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_browser.py

screenshots: install  ## the browser test, also refreshing docs/screenshots/ (the explorers after their controls moved, Fig. 3, the CCT run, the results)
	CCT_NB_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_browser.py

notebook-times: install  ## every lesson, all cells, in a fresh kernel in JupyterLab, from an empty data folder: seconds -> benchmarks/results/course/notebook_times.json
	$(BIN)/python scripts/lab_browser.py time

export: install  ## notebooks -> library, cleaned notebooks, README from index.ipynb
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python scripts/sync_readme.py

experiments: install  ## the lab log: every experiments/*.ipynb from its folder (#| slow cells only with CCT_NB_LONG_RUNS=1); writes experiments/summary.json
	$(BIN)/python scripts/run_experiments.py

camvid-overfit: install  ## one paired seed of experiments/overfit's regime (--preset camvid-overfit): CCT and the baseline on the same 20 labeled CamVid images, 24 epochs each (808 s + 1,699 s on 2 CPU threads in the probe of issue 35); SEED=0 CAMVID=../shared/data/camvid
	$(BIN)/cct_nb_train --preset camvid-overfit --data-dir $(CAMVID) --seed $(SEED) --compare --out runs/camvid-overfit/seed$(SEED)
