"""ab-CE on its own: the supervised baseline trained with ab-CE (eq. 4, threshold on eq. 17's schedule) against the
plain-CE baselines of the same seeds (same labeled images, same budget, same initial weights); writes JSON.

The paper compares "CCT full + ab-CE" with a baseline trained with plain cross-entropy (Fig. 5-6). This control says how
much of such a gain ab-CE gives without any unlabeled image. The CE baselines are read from a `cct_vs_baseline.py` record
(`--ce-from`, whose configuration must train the same baseline); only the ab-CE baselines are trained.

Usage (the figures of experiments/scenes.ipynb):
  OMP_NUM_THREADS=1 python -m benchmarks.abce_baseline --dataset scenes --epochs 16 --seeds 0 1 2 3 4 \
      --ce-from benchmarks/results/scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10.json --out benchmarks/results/scenes/scenes_abce_baseline_16ep.json
Seeds run in separate processes write separate files; `--merge A.json B.json --out C.json` joins them.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.abce_baseline')
import argparse, json, platform, sys, time
from pathlib import Path
import torch
from cct_nb.run import train_run
from cct_nb.config import run_config
from benchmarks.records import machine, mean_std, merge_seed_records, parser, add_run_options
from benchmarks.cct_vs_baseline import paired_baselines, option_value, run_tag, for_seed

def summarise(res):
    print(f"baseline ab-CE {100 * res['abce_miou']['mean']:.1f} ± {100 * res['abce_miou']['std']:.1f}, baseline CE "
          f"{100 * res['ce_miou']['mean']:.1f} ± {100 * res['ce_miou']['std']:.1f}, gap {100 * res['gap']['mean']:+.1f} ± {100 * res['gap']['std']:.1f}")

def merge(files) -> dict:
    "Join per-seed records of this script (one configuration, one CE reference, no seed twice) and recompute the statistics."
    return merge_seed_records(files, 'abce_baseline', ('dataset', 'scenes_version', 'config', 'ce_from'), ('abce_miou', 'ce_miou', 'gap'))

def main(argv=None):
    ap = parser(__doc__); add_run_options(ap)
    ap.add_argument('--ce-from', default=None, help="a cct_vs_baseline.py JSON whose seeds' (CE) baselines are the reference")
    ap.add_argument('--runs', default='runs/bench', help='folder for the run folders')
    ap.add_argument('--out', required=True, help='JSON file to write')
    ap.add_argument('--overwrite', action='store_true', help='replace an existing --out JSON')
    ap.add_argument('--merge', nargs='+', default=None, help='JSON files of this script to join into --out')
    a = ap.parse_args(argv)
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    if a.merge:
        res = merge(a.merge)
        out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1)); summarise(res); print(f"-> {out}"); return res
    if not a.ce_from: sys.exit("error: --ce-from: the cct_vs_baseline.py record whose CE baselines to compare with is required")
    extra = {k: option_value(v) for k, v in (kv.split('=', 1) for kv in a.set)}
    if 'sup_loss' in extra: sys.exit("error: --set sup_loss: this benchmark trains the baseline with abce; leave sup_loss out")
    cfg = dict(n_labeled=a.n_labeled, epochs=a.epochs, size=a.size, **extra)
    # the CE baselines must be the same configuration: check it as cct_vs_baseline's --baseline-from does (CCT's own options aside)
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in run_config(a.dataset, **cfg).items() if k != 'split_files'}
    ce = paired_baselines(a.ce_from, a.dataset, config)
    if set(a.seeds) - set(ce): sys.exit(f"error: --ce-from {a.ce_from}: no seed {sorted(set(a.seeds) - set(ce))}")
    runs, t0 = [], time.time()
    for seed in a.seeds:
        tag = '_'.join(f"{k}{run_tag(k, v)}" for k, v in sorted(cfg.items()) if v is not None)   # named as cct_vs_baseline's folders
        run_dir = Path(a.runs) / f"{a.dataset}_baseline_abce_{tag or 'defaults'}_seed{seed}"
        m = train_run(run_dir, 'baseline', a.dataset, a.data_dir, overwrite=True, quiet=True, seed=seed, sup_loss='abce', **for_seed(cfg, seed))
        b = ce[seed]
        runs.append({'seed': seed, 'abce_miou': m['miou'], 'ce_miou': b['baseline_miou'], 'gap': m['miou'] - b['baseline_miou'],
                     'abce_per_class_iou': m['per_class_iou'], 'abce_seconds': m['seconds'], 'run_dir': str(run_dir)})
        print(f"seed {seed}: baseline ab-CE {100 * m['miou']:.1f}  baseline CE {100 * b['baseline_miou']:.1f}  gap {100 * runs[-1]['gap']:+.1f}", flush=True)
    from cct_nb.scenes import SCENES_VERSION
    res = {'benchmark': 'abce_baseline', 'dataset': a.dataset, 'scenes_version': SCENES_VERSION if a.dataset == 'scenes' else None,
           'config': config | {'method': 'baseline', 'sup_loss': 'abce'}, 'ce_from': a.ce_from, 'seeds': a.seeds, 'runs': runs}
    res |= {m: mean_std(runs, m, {}) for m in ('abce_miou', 'ce_miou', 'gap')}
    res |= {'wall_seconds': round(time.time() - t0, 1), 'command': ' '.join(['python'] + sys.argv),
            'machine': machine() | {'cuda': torch.cuda.is_available(), 'python': platform.python_version()}}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1)); summarise(res); print(f"-> {out}")
    return res

if __name__ == '__main__': main()
