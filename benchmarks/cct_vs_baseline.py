"""CCT against the supervised baseline: same labeled images, same iterations, several seeds; writes JSON.

Usage (the figures in the README):
  python -m benchmarks.cct_vs_baseline --dataset scenes --seeds 0 1 2 --out benchmarks/results/scenes/scenes_cct_vs_baseline.json
  python -m benchmarks.cct_vs_baseline --dataset camvid --data-dir $CCT_NB_CAMVID --n-labeled 50 --seeds 0 \
      --out benchmarks/results/camvid/camvid50_cct_vs_baseline.json
Every run folder (metrics.json, model.pth, split files, predictions.png) is kept under --runs.
Extra `cct_nb_train` options go in as --set key=value (e.g. --set perturbations=noise:6,drop:6 --set lambda_u=10).
Seeds run in separate processes (one per core) write separate JSON files; `--merge A.json B.json --out C.json` joins them
(same dataset and config, no seed twice) and recomputes the statistics, without training.
`--baseline-from FILE` trains only CCT and pairs it with the baselines of the same seeds in FILE, a record of this script
whose configuration differs only in CCT's own options (the baseline never reads them, and reruns bit-identical).
A `--set` value may name the seed, `{seed}`: `--set init_from=runs/stage1/seed{seed}` warm-starts each seed's CCT and
baseline from that seed's own checkpoint (the record keeps the template).
Each run entry keeps both methods' val mIoU after every epoch (`cct_curve`, `baseline_curve`, from the run folders'
history.csv); `--merge` fills them in from the run folders for entries written before the record kept them.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.cct_vs_baseline')
import argparse, json, platform, sys, time
from pathlib import Path
import torch
from cct_nb.run import train_run
from cct_nb.config import run_config
from benchmarks.records import machine, mean_std, merge_seed_records, parser, add_run_options

def option_value(v):
    for f in (int, float):
        try: return f(v)
        except ValueError: pass
    return None if v == 'None' else v

def stats(runs, k): return mean_std(runs, k, {})    # mean, sample std and count of one field over the runs

def for_seed(cfg:dict, seed:int):
    "`cfg` with `{seed}` in its string values replaced by `seed` (per-seed files such as `init_from`)."
    return {k: v.replace('{seed}', str(seed)) if isinstance(v, str) else v for k, v in cfg.items()}

def run_tag(k:str, v):
    "A file-name-safe form of one option for the run folder's name (paths shortened to what tells them apart)."
    if k == 'pretrained': return Path(str(v)).stem
    if k == 'init_from': return Path(str(v).replace('{seed}', '')).name.rstrip('_-') or 'run'
    return v

def val_curve(run_dir) -> list:
    "Val mIoU after every epoch of one run, from its folder's history.csv (fastai's CSVLogger); [] when there is none."
    import csv
    f = Path(run_dir) / 'history.csv'
    if not f.is_file(): return []
    by_epoch = {}
    with open(f) as fh:
        for r in csv.DictReader(fh):
            if r['epoch'] == 'epoch': continue                    # a resumed run (`CSVLogger(append=True)`) writes the header again
            by_epoch[int(r['epoch'])] = float(r['miou'])          # an epoch logged twice (killed before its checkpoint) counts once, as rerun
    return [by_epoch[e] for e in sorted(by_epoch)]

def curves(run_dir, base:dict|None=None) -> dict:
    "The run entry's `cct_curve` and `baseline_curve` (CCT in `run_dir`, the compared baseline in `run_dir`/baseline or the reused `base` entry)."
    b = base.get('baseline_curve', []) if base is not None else val_curve(Path(run_dir) / 'baseline')
    return {'cct_curve': val_curve(run_dir), 'baseline_curve': b}

def per_class(run_dir, base:dict|None=None) -> dict:
    "The run entry's per-class val IoU of CCT and of the compared baseline (`cct_per_class_iou`, `baseline_per_class_iou`), from the run folders' metrics.json or the reused `base` entry; {} unless both are known."
    def read(f): return json.loads(f.read_text()).get('per_class_iou') if f.is_file() else None
    c = read(Path(run_dir) / 'metrics.json')
    b = base.get('baseline_per_class_iou') if base is not None else read(Path(run_dir) / 'baseline' / 'metrics.json')
    return {'cct_per_class_iou': c, 'baseline_per_class_iou': b} if c and b else {}

def init_record(cfg:dict, seed:int):
    "For a warm start (`init_from`): the checkpoint both runs of the seed started from, and its own val mIoU when its run folder says it."
    init = for_seed(cfg, seed).get('init_from')
    if init is None: return {}
    folder = Path(init) if Path(init).is_dir() else Path(init).parent
    m = folder / 'metrics.json'
    return {'init_from': init, 'init_miou': json.loads(m.read_text())['miou'] if m.is_file() else None}

def summarise(res):
    print(f"CCT {100 * res['cct_miou']['mean']:.1f} ± {100 * res['cct_miou']['std']:.1f}, baseline {100 * res['baseline_miou']['mean']:.1f} ± "
          f"{100 * res['baseline_miou']['std']:.1f}, gap {100 * res['gap']['mean']:+.1f} ± {100 * res['gap']['std']:.1f}")

# options the baseline never reads (`segmentation_learner` trains with plain CE, eq. 1, whatever sup_loss says: the paper's
# "CCT full + ab-CE" is also compared with that CE baseline, Fig. 5-6)
CCT_ONLY = ('perturbations', 'unsup_loss', 'sup_loss', 'conf_mask', 'class_balance', 'pairwise', 'lambda_u', 'rampup_u', 'aux_init')

def paired_baselines(path, dataset:str, config:dict):
    "{seed: run record} of a cct_vs_baseline JSON whose baseline is this configuration's (it may differ in `CCT_ONLY` keys)."
    try: d = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e: sys.exit(f"error: --baseline-from {path}: not a readable JSON file ({e})")
    if d.get('benchmark') != 'cct_vs_baseline' or d.get('dataset') != dataset: sys.exit(f"error: --baseline-from {path}: not a cct_vs_baseline record of {dataset}")
    default = run_config(dataset)                     # an option added after the record was written: the record trained at its default
    diff = sorted(k for k in set(config) | set(d['config']) if k not in CCT_ONLY and config.get(k, default.get(k)) != d['config'].get(k, default.get(k)))
    if diff: sys.exit(f"error: --baseline-from {path}: its baseline was trained with other {', '.join(diff)}")
    return {r['seed']: r for r in d['runs']}

def merge(files):
    "Join the per-seed records of several cct_vs_baseline JSON files of one configuration (`benchmarks.records.merge_seed_records`); entries without val curves or per-class IoU get them from their run folders when both runs' files are there, and otherwise stay without (unknown, not empty)."
    res = merge_seed_records(files, 'cct_vs_baseline', ('dataset', 'scenes_version', 'config'), ('cct_miou', 'baseline_miou', 'gap'))
    for r in res['runs']:
        if 'cct_per_class_iou' not in r and 'baseline_from' not in r: r |= per_class(r['run_dir'])
        if 'cct_curve' in r or 'baseline_from' in r: continue
        c = curves(r['run_dir'])
        if all(c.values()): r |= c
    return res

def main():
    ap = parser(__doc__); add_run_options(ap)
    ap.add_argument('--runs', default='runs/bench', help='folder for the run folders')
    ap.add_argument('--out', required=True, help='JSON file to write')
    ap.add_argument('--overwrite', action='store_true', help='replace an existing --out JSON')
    ap.add_argument('--rerun', action='store_true', help='retrain cells whose run folder already has metrics.json')
    ap.add_argument('--merge', nargs='+', default=None, help='JSON files of this script (one configuration) to join into --out')
    ap.add_argument('--baseline-from', default=None, help="a JSON of this script whose seeds' baselines are reused (only CCT is trained)")
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    if a.merge:
        res = merge(a.merge)
        out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
        summarise(res); print(f"-> {out}"); return
    extra = dict(kv.split('=', 1) for kv in a.set)
    extra = {k: option_value(v) for k, v in extra.items()}
    cfg = dict(n_labeled=a.n_labeled, epochs=a.epochs, size=a.size, **extra)
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in run_config(a.dataset, **cfg).items() if k != 'split_files'}
    base = paired_baselines(a.baseline_from, a.dataset, config) if a.baseline_from else None
    if base is not None and set(a.seeds) - set(base): sys.exit(f"error: --baseline-from {a.baseline_from}: no seed {sorted(set(a.seeds) - set(base))}")
    runs, t0 = [], time.time()
    for seed in a.seeds:
        tag = '_'.join(f"{k}{run_tag(k, v)}" for k, v in sorted(cfg.items()) if v is not None)
        run_dir = Path(a.runs) / f"{a.dataset}_{tag or 'defaults'}_seed{seed}"
        done = run_dir / 'metrics.json'
        if done.exists() and (base is not None or 'compare' in json.loads(done.read_text())) and not a.rerun:
            m = json.loads(done.read_text())            # a finished cell: reuse it (delete the folder or --rerun to redo)
        else:
            m = train_run(run_dir, 'cct', a.dataset, a.data_dir, compare=base is None, overwrite=True, quiet=True, seed=seed, **for_seed(cfg, seed))
        if base is not None:
            b = base[seed]
            m['compare'] = {'baseline_miou': b['baseline_miou'], 'gap': m['miou'] - b['baseline_miou'], 'baseline_seconds': b['baseline_seconds']}
        runs.append({'seed': seed, 'cct_miou': m['miou'], 'baseline_miou': m['compare']['baseline_miou'],
                     'gap': m['compare']['gap'], 'cct_seconds': m['seconds'], 'baseline_seconds': m['compare']['baseline_seconds'],
                     'run_dir': str(run_dir)} | ({'baseline_from': a.baseline_from} if base is not None else {}) | init_record(cfg, seed)
                    | curves(run_dir, b if base is not None else None) | per_class(run_dir, b if base is not None else None))
        print(f"seed {seed}: CCT {100 * m['miou']:.1f}  baseline {100 * m['compare']['baseline_miou']:.1f}  gap {100 * m['compare']['gap']:+.1f}", flush=True)
    from cct_nb.scenes import SCENES_VERSION
    res = {'benchmark': 'cct_vs_baseline', 'dataset': a.dataset, 'scenes_version': SCENES_VERSION if a.dataset == 'scenes' else None, 'config': config,
           'seeds': a.seeds, 'runs': runs, 'cct_miou': stats(runs, 'cct_miou'), 'baseline_miou': stats(runs, 'baseline_miou'), 'gap': stats(runs, 'gap'),
           'wall_seconds': round(time.time() - t0, 1), 'command': ' '.join(['python'] + sys.argv),
           'machine': machine() | {'cuda': torch.cuda.is_available(), 'python': platform.python_version()}}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    summarise(res); print(f"-> {out}")

if __name__ == '__main__': main()
