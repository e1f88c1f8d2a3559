"""Run the lab log: every notebook of experiments/, in its own folder, one after the other; exit 1 if one fails.

As nbdev_test does for the lessons (nbdev's own `test_nb`), the `#| slow` cells are skipped, unless CCT_NB_LONG_RUNS=1
is in the environment: then they run too (and with them the long trainings they guard with `run_long`).
nbdev_test never sees these notebooks: they are outside nbs/.
Usage: python scripts/run_experiments.py [--only PATTERN]    (`make experiments` runs it)
"""
import argparse, os, re, sys, time
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent.parent / 'experiments'

def run(nb:Path, long_runs:bool) -> bool:
    "Run one notebook with cwd experiments/ (nbdev's `test_nb` changes to the notebook's folder); True if every cell ran."
    from nbdev.test import test_nb
    ok, secs = test_nb(nb, skip_flags=[] if long_runs else ['slow'], basepath=EXPERIMENTS)
    print(f"{'PASS' if ok else 'FAIL'} {nb.name} ({secs:.0f}s)", flush=True)
    return ok

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', default='', help='regex on notebook file names')
    a = ap.parse_args()
    long_runs = os.environ.get('CCT_NB_LONG_RUNS', '') == '1'
    nbs = [p for p in sorted(EXPERIMENTS.glob('*.ipynb')) if re.search(a.only, p.name)]
    t0 = time.time()
    failed = [nb.name for nb in nbs if not run(nb, long_runs)]
    print(f"experiments: {len(nbs) - len(failed)} passed, {len(failed)} failed in {time.time() - t0:.0f}s"
          + ('' if long_runs else ' (#| slow cells skipped; CCT_NB_LONG_RUNS=1 runs them)'))
    sys.exit(1 if failed or not nbs else 0)
