"""Table 4 at CPU scale: the supervised baseline, Mean Teacher, input VAT and CCT on the same seeded splits and budget. Writes JSON.

Every run is `cct_nb_train` (`train_run`) with the dataset's CPU configuration; a run folder that already holds metrics.json is
reused. CCT and baseline runs of `benchmarks/cct_vs_baseline.py` can be reused with --from-compare (same seeds, same config).
Usage: python -m benchmarks.methods --seeds 0 1 2 --from-compare runs/bench-v2 --out benchmarks/results/scenes/scenes_methods.json
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.methods')
import argparse, json, sys, time
from pathlib import Path
import torch
from benchmarks.records import machine, mean_std
from cct_nb.run import train_run
from cct_nb.config import METHODS

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='scenes'); ap.add_argument('--data-dir', default=None)
    ap.add_argument('--methods', nargs='+', default=list(METHODS)); ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--runs', default='runs/methods'); ap.add_argument('--from-compare', default=None,
                    help='a --runs folder of cct_vs_baseline.py: take CCT and baseline results from its <dataset>_defaults_seed<s> folders')
    ap.add_argument('--out', required=True); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    bad = [m for m in a.methods if m not in METHODS]
    if bad: sys.exit(f"error: --methods {bad}: choose from {METHODS}")
    rows, t0 = [], time.time()
    for seed in a.seeds:
        for m in a.methods:
            src = None
            if a.from_compare and m in ('cct', 'baseline'):
                d = Path(a.from_compare) / f"{a.dataset}_defaults_seed{seed}"
                src = d / 'metrics.json' if m == 'cct' else d / 'baseline' / 'metrics.json'
                if not src.is_file(): src = None
            run_dir = Path(a.runs) / f"{a.dataset}_{m}_seed{seed}"
            if src is None and (run_dir / 'metrics.json').is_file(): src = run_dir / 'metrics.json'
            r = json.loads(src.read_text()) if src else train_run(run_dir, m, a.dataset, a.data_dir, overwrite=True, quiet=True, seed=seed)
            rows.append({'method': m, 'seed': seed, 'miou': r['miou'], 'per_class_iou': r['per_class_iou'], 'seconds': r['seconds'],
                         'run': str(src.parent if src else run_dir), 'recipe': r['config'].get('recipe')})
            print(f"seed {seed} {m}: {100 * r['miou']:.1f}", flush=True)
    summary = {m: mean_std(rows, 'miou', {'method': m}) for m in a.methods}
    res = {'benchmark': 'methods', 'dataset': a.dataset, 'seeds': a.seeds, 'runs': rows, 'summary': summary,
           'wall_seconds': round(time.time() - t0, 1), 'command': ' '.join(['python'] + sys.argv),
           'machine': machine()}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    print(' | '.join(f"{m}: {100 * s['mean']:.1f} ± {100 * s['std']:.1f}" for m, s in summary.items()), '->', out)

if __name__ == '__main__': main()
