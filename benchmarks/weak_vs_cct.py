"""Issue 6: CCT against CCT + weak labels (§3.3) on the scenes, same labeled images and budget, several seeds. Writes JSON.

CCT + weak labels is `cct_nb_train --weak-labels` (`train_run(..., weak_labels=True)`): the classification branch trained on
the image-level labels of the unlabeled images, CAM + CRF pseudo-labels, then CCT with L_w on them. CCT alone is taken from
a `benchmarks/cct_vs_baseline.py` run folder (`--from-compare`, `<dataset>_defaults_seed<s>/metrics.json`) when it is there,
else trained. A run folder that already holds metrics.json is reused.
Usage: python -m benchmarks.weak_vs_cct --seeds 0 1 --from-compare runs/bench-v3 --out benchmarks/results/weak/scenes_weak_vs_cct.json
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.weak_vs_cct')
import argparse, json, statistics, sys, time
from pathlib import Path
from benchmarks.records import machine, mean_std
from cct_nb.run import train_run

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='scenes'); ap.add_argument('--data-dir', default=None)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--runs', default='runs/weak', help='folder for the run folders')
    ap.add_argument('--from-compare', default=None, help='a --runs folder of cct_vs_baseline.py to take the CCT runs from')
    ap.add_argument('--out', required=True); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    rows, t0 = [], time.time()
    for seed in a.seeds:
        for name, weak in (('cct', False), ('cct+weak', True)):
            src = None
            if not weak and a.from_compare:
                src = Path(a.from_compare) / f"{a.dataset}_defaults_seed{seed}" / 'metrics.json'
                if not src.is_file(): src = None
            run_dir = Path(a.runs) / f"{a.dataset}_{'weak' if weak else 'cct'}_seed{seed}"
            if src is None and (run_dir / 'metrics.json').is_file(): src = run_dir / 'metrics.json'
            r = (json.loads(src.read_text()) if src else
                 train_run(run_dir, 'cct', a.dataset, a.data_dir, overwrite=True, quiet=True, seed=seed, weak_labels=weak))
            rows.append({'method': name, 'seed': seed, 'miou': r['miou'], 'per_class_iou': r['per_class_iou'], 'seconds': r['seconds'],
                         'run': str(src.parent if src else run_dir)})
            print(f"seed {seed} {name}: {100 * r['miou']:.1f}", flush=True)
    summary = {m: mean_std(rows, 'miou', {'method': m}) for m in ('cct', 'cct+weak')}
    by = {(r['method'], r['seed']): r['miou'] for r in rows}
    gaps = [by[('cct+weak', s)] - by[('cct', s)] for s in a.seeds]
    res = {'benchmark': 'weak_vs_cct', 'dataset': a.dataset, 'seeds': a.seeds, 'runs': rows, 'summary': summary,
           'gap': {'per_seed': gaps, 'mean': statistics.mean(gaps), 'std': statistics.stdev(gaps) if len(gaps) > 1 else 0.0},
           'wall_seconds': round(time.time() - t0, 1), 'command': ' '.join(['python'] + sys.argv), 'machine': machine()}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    print(' | '.join(f"{m}: {100 * s['mean']:.1f} ± {100 * s['std']:.1f}" for m, s in summary.items()), '->', out)

if __name__ == '__main__': main()
