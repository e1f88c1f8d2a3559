"""Run every notebook with nbdev's own test runner and the pytest suite; print one 'N passed, N failed' line.

nbdev_test prints only "Success." or the failures, so we call nbdev's `test_nb` (what nbdev_test runs)
for each notebook in parallel, count the notebooks that pass, then add pytest's counts.
Every notebook and test writes its temporary files (scene datasets, runs, checkpoints) under one directory
made for this run (TMPDIR), removed when the run ends, so repeated runs do not fill the disk with them.
Usage: python scripts/run_tests.py [--flags slow] [--only PATTERN] [--n-workers N] [--keep-tmp]
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

def run_notebooks(flags: str, only: str, n_workers: int):
    "nbdev_test's own loop (same skip/force flags, working directory and parallelism), but counting notebooks."
    from fastcore.parallel import parallel
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    from nbdev.test import test_nb, _keep_file
    from nbdev.doclinks import nbglob
    cfg = get_config()
    nbs = [f.absolute() for f in sorted(nbglob(cfg.nbs_path, as_path=True)) if _keep_file(f, '.notest')]
    if only: nbs = [p for p in nbs if re.search(only, p.name)]
    os.environ['IN_TEST'] = '1'
    # n_workers notebooks run at once: one BLAS/OpenMP thread each, or spinning threads oversubscribe the cores
    # (2 workers x 2 spinning threads on 2 cores made each ResNet-18 step many times slower than 1 thread each)
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // max(1, n_workers))))
    t0 = time.time()
    with working_directory(cfg.nbs_path):
        res = parallel(test_nb, nbs, skip_flags=cfg.tst_flags.split(), force_flags=flags.split(), n_workers=n_workers,
                       basepath=cfg.config_path, pause=0.5, do_print=False)
    failed = []
    for nb, (ok, secs) in zip(nbs, res):
        print(f"{'PASS' if ok else 'FAIL'} {nb.name} ({secs:.0f}s)", flush=True)
        if not ok: failed.append(nb.name)
    print(f"notebooks: {len(nbs) - len(failed)} passed, {len(failed)} failed in {time.time() - t0:.0f}s", flush=True)
    return len(nbs) - len(failed), len(failed)

def run_pytest(env:dict):
    "pytest on tests/ in `env`: the environment this script started with (no IN_TEST, no thread limit: the browser test runs the lessons as a learner does)."
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'], capture_output=True, text=True, env=env)
    sys.stdout.write(r.stdout[-6000:]); sys.stderr.write(r.stderr[-3000:])
    counts = {k: 0 for k in ('passed', 'failed', 'skipped', 'error', 'errors')}
    last = [l for l in r.stdout.splitlines() if re.search(r'\d+ (passed|failed|skipped|error)', l)]
    for n, k in re.findall(r'(\d+) (passed|failed|skipped|errors?)', last[-1] if last else ''): counts[k] += int(n)
    failed = counts['failed'] + counts['error'] + counts['errors']
    if r.returncode not in (0, 5) and failed == 0: failed = 1   # pytest crashed without counting
    return counts['passed'], failed, counts['skipped']

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--flags', default='', help="nbdev test flags to run, e.g. 'slow'")
    ap.add_argument('--only', default='', help='regex on notebook file names')
    ap.add_argument('--n-workers', type=int, default=2)
    ap.add_argument('--no-pytest', action='store_true')
    ap.add_argument('--keep-tmp', action='store_true', help="keep this run's temporary directory (its path is printed)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='cct_nb-tests-')
    os.environ['TMPDIR'] = tempfile.tempdir = tmp   # the notebook workers and pytest inherit it
    pytest_env = dict(os.environ)                   # before run_notebooks sets IN_TEST and one thread per worker
    try:
        np_, nf = run_notebooks(a.flags, a.only, a.n_workers)
        pp, pf, ps = (0, 0, 0) if a.no_pytest else run_pytest(pytest_env)
    finally:
        if a.keep_tmp: print(f"temporary files kept in {tmp}")
        else: shutil.rmtree(tmp, ignore_errors=True)
    print(f"{np_ + pp} passed, {nf + pf} failed, {ps} skipped")
    sys.exit(1 if nf + pf else 0)
