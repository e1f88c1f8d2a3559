"""Training recipes from random initialisation on the scene data: the paper's (SGD + poly, backbone at lr/10 or at lr)
against fastai's (Adam + one-cycle). Supervised baseline, the same labeled images and iterations for every recipe. Writes JSON.

Usage: python -m benchmarks.recipes --out benchmarks/results/scenes/scenes_recipes.json [--n-labeled 100 --epochs 10 --seeds 0]
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.recipes')
import argparse, json, sys, time
from pathlib import Path
import torch
from benchmarks.records import machine, mean_std
from fastai.torch_core import set_seed
from cct_nb.data import segmentation_dls
from cct_nb.learner import segmentation_learner, evaluate
from cct_nb.scenes import SCENES_VERSION

VARIANTS = {  # name: (recipe, lr, backbone_div)
    'paper, backbone lr/10': ('paper', 0.01, 10.),
    'paper, backbone lr': ('paper', 0.01, 1.),
    'fastai (Adam + one-cycle)': ('fastai', 3e-3, 1.),
}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n-labeled', type=int, default=100); ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0]); ap.add_argument('--variants', nargs='+', default=list(VARIANTS))
    ap.add_argument('--out', required=True); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    bad = [v for v in a.variants if v not in VARIANTS]
    if bad: sys.exit(f"error: --variants {bad}: choose from {list(VARIANTS)}")
    rows, t0 = [], time.time()
    for name in a.variants:
        recipe, lr, bd = VARIANTS[name]
        for seed in a.seeds:
            set_seed(seed)
            data = segmentation_dls('scenes', None, n_labeled=a.n_labeled, bs=8, seed=seed)
            learn = segmentation_learner(data, 'resnet18', False, 256, recipe=recipe, backbone_div=bd)
            t = time.time()
            with learn.no_bar(), learn.no_logging(): learn.fit_seg(a.epochs, lr)
            res = evaluate(learn.model, data.dls.valid, data.info)
            rows.append({'variant': name, 'recipe': recipe, 'lr': lr, 'backbone_div': bd, 'seed': seed, 'miou': res['miou'],
                         'per_class_iou': res['per_class_iou'], 'iterations': a.epochs * len(data.dls.train),
                         'seconds': round(time.time() - t, 1)})
            print({k: v for k, v in rows[-1].items() if k != 'per_class_iou'}, flush=True)
    summary = {name: mean_std(rows, 'miou', {'variant': name}) for name in a.variants}
    res = {'benchmark': 'scenes_recipes', 'method': 'baseline', 'scenes_version': SCENES_VERSION, 'n_labeled': a.n_labeled,
           'epochs': a.epochs, 'arch': 'resnet18', 'z_channels': 256, 'bs': 8, 'runs': rows, 'summary': summary,
           'wall_seconds': round(time.time() - t0, 1), 'command': ' '.join(['python'] + sys.argv),
           'machine': machine()}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=1))
    print(' | '.join(f"{k}: {100 * s['mean']:.1f}" for k, s in summary.items()), '->', out)

if __name__ == '__main__': main()
