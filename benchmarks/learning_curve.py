"""Learning curve of the supervised baseline on the scene data: val mIoU against the number of labeled images.

Every run has the same iteration budget (epochs x the iterations of one pass over 270 unlabeled images, as in
`cct_nb_train`), so only the number of distinct labeled images changes. Writes JSON.
Usage: python -m benchmarks.learning_curve --n 10 30 100 300 --seeds 0 --out benchmarks/results/learning_curve/scenes_learning_curve.json
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.learning_curve')
import argparse, json, os, platform, statistics, sys, time
from pathlib import Path
import torch
from fastai.torch_core import set_seed
from cct_nb.data import segmentation_dls
from cct_nb.learner import segmentation_learner, evaluate
from cct_nb.config import preset, run_config
from cct_nb.scenes import SCENES_VERSION

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, nargs='+', default=[10, 30, 100, 300])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0])
    ap.add_argument('--epochs', type=int, default=preset('scenes')['epochs'], help="budget in passes over 270 images (the main job's epochs)")
    ap.add_argument('--out', required=True); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    main_job = run_config('scenes')                   # the main job's configuration, with the recipe's lr
    cfg = {k: main_job[k] for k in (*preset('scenes'), 'lr')}
    rows, t0 = [], time.time()
    iters = None
    for n in a.n:
        for seed in a.seeds:
            set_seed(seed)
            data = segmentation_dls('scenes', None, n_labeled=n if n < 300 else None, bs=cfg['bs'], seed=seed)
            iters = iters or 270 // cfg['bs']                      # the budget of the main job: one pass over 270 images
            learn = segmentation_learner(data, cfg['arch'], False, cfg['z_channels'], recipe=cfg['recipe'])
            n_epoch = max(1, round(a.epochs * iters / len(data.dls.train)))
            t = time.time()
            with learn.no_bar(), learn.no_logging(): learn.fit_seg(n_epoch, cfg['lr'])
            res = evaluate(learn.model, data.dls.valid, data.info)
            rows.append({'n_labeled': n, 'seed': seed, 'miou': res['miou'], 'pixel_acc': res['pixel_acc'],
                         'iterations': n_epoch * len(data.dls.train), 'seconds': round(time.time() - t, 1)})
            print(rows[-1], flush=True)
    curve = {}
    for n in a.n:
        v = [r['miou'] for r in rows if r['n_labeled'] == n]
        curve[n] = {'mean': statistics.mean(v), 'std': statistics.stdev(v) if len(v) > 1 else 0.0}
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    res = {'benchmark': 'scenes_learning_curve', 'method': 'baseline', 'scenes_version': SCENES_VERSION, 'config': cfg, 'epochs_equivalent': a.epochs, 'runs': rows,
           'curve': curve, 'wall_seconds': round(time.time() - t0, 1), 'command': ' '.join(['python'] + sys.argv),
           'machine': {'cpu': cpu, 'cores': os.cpu_count(), 'torch': torch.__version__, 'threads': torch.get_num_threads()}}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    print(' '.join(f"n={n}: {100 * c['mean']:.1f}" for n, c in curve.items()), '->', out)

if __name__ == '__main__': main()
