"""Issue 4, chasing the missing gain: does CCT fit its own labeled images as well as the paired baseline does? Writes JSON.

For each paired run folder of `cct_vs_baseline.py` (CCT in <run>/model.pth, the baseline in <run>/baseline/model.pth, the
split in <run>/labeled.txt and <run>/unlabeled.txt; a CCT-only run of `--baseline-from` gets its seed's baseline folder
linked in as <run>/baseline), both checkpoints are evaluated, without augmentation, on
  labeled    the n labeled training images (what L_s fits),
  unlabeled  the first --max-unlabeled unlabeled training images (what L_u sees; their masks are used here only to score),
  val        the validation split (the figure the comparison reports),
with mIoU, per-class IoU and the mean per-pixel cross-entropy. A CCT run that is below its baseline on `labeled` as well as on `val` is
under-fitting (the consistency term holds the supervised fit back); one that fits `labeled` as well but generalises worse
is not.

  python -m benchmarks.fit_diagnosis --runs runs/bench-v3/scenes_epochs16_seed1 runs/bench-v3/scenes_epochs16_seed2 \
      --out benchmarks/results/scenes/scenes_fit_diagnosis.json
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.fit_diagnosis')
import argparse, json, sys, time
from pathlib import Path
import torch, torch.nn.functional as F
from fastai.data.load import DataLoader
from benchmarks.records import machine
from cct_nb.data import read_split, seg_dataset, dataset_info, load_items, DEFAULT_SPLITS
from cct_nb.checkpoint import load_checkpoint
from cct_nb.metrics import confusion_matrix, iou_table

def scores(net, items, dataset, data_dir, size, bs=8):
    "mIoU, pixel accuracy, per-class IoU and mean cross-entropy over the non-void pixels of `items` (no augmentation), in one pass."
    info = dataset_info(dataset)
    dl = DataLoader(seg_dataset(dataset, data_dir, train=False, size=size, items=items), bs=bs, shuffle=False)
    cm, ce, n = torch.zeros(info.n_classes, info.n_classes, dtype=torch.long), 0.0, 0
    net.eval()
    with torch.no_grad():
        for xb, yb in dl:
            xb, yb = torch.as_tensor(xb).as_subclass(torch.Tensor), torch.as_tensor(yb).as_subclass(torch.Tensor).long()
            logits = net(xb)
            cm += confusion_matrix(logits.argmax(1), yb, info.n_classes, info.ignore_index)
            ce += F.cross_entropy(logits, yb, ignore_index=info.ignore_index, reduction='sum').item()
            n += (yb != info.ignore_index).sum().item()
    t = iou_table(cm, info.classes)
    return {'miou': t['miou'], 'pixel_acc': t['pixel_acc'], 'per_class_iou': t['per_class_iou'], 'ce': ce / max(n, 1), 'images': len(items)}

def diagnose(run:Path, max_unlabeled:int):
    "Both checkpoints of one paired run folder on its labeled, unlabeled and val images."
    ckpts = {'cct': run / 'model.pth', 'baseline': run / 'baseline' / 'model.pth'}
    for ckpt in ckpts.values():
        if not ckpt.is_file(): raise SystemExit(f"error: {ckpt}: no checkpoint (is {run} a cct_vs_baseline.py run folder?)")
    cfg = json.loads((run / 'run.json').read_text())
    dataset, data_dir = cfg['dataset'], cfg.get('data_dir')
    if dataset == 'scenes' and data_dir is None:
        from cct_nb.scenes import write_scenes
        data_dir = write_scenes()
    root = Path(data_dir)
    sets = {'labeled': read_split(run / 'labeled.txt', root), 'unlabeled': read_split(run / 'unlabeled.txt', root)[:max_unlabeled]}
    sets['val'] = load_items(dataset, data_dir, DEFAULT_SPLITS[dataset][1])
    out = {'run': str(run), 'dataset': dataset, 'config': cfg['config']}
    for name, ckpt in ckpts.items():
        net, meta = load_checkpoint(ckpt)
        size = tuple(meta['size']) if meta.get('size') else None
        out[name] = {k: scores(net, items, dataset, data_dir, size) for k, items in sets.items()}
    out['gap'] = {k: {m: out['cct'][k][m] - out['baseline'][k][m] for m in ('miou', 'ce')} for k in sets}
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runs', nargs='+', required=True, help='paired run folders written by cct_vs_baseline.py')
    ap.add_argument('--max-unlabeled', type=int, default=100, help='unlabeled images scored (the first of the split file)')
    ap.add_argument('--out', required=True); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    for r in a.runs:
        if not (Path(r) / 'run.json').is_file(): sys.exit(f"error: --runs {r}: no run.json there")
    t0, res = time.time(), []
    for r in a.runs:
        d = diagnose(Path(r), a.max_unlabeled); res.append(d)
        print(r, ' '.join(f"{k}: CCT {100 * d['cct'][k]['miou']:.1f} / base {100 * d['baseline'][k]['miou']:.1f} mIoU, "
                          f"CE {d['cct'][k]['ce']:.3f} / {d['baseline'][k]['ce']:.3f};" for k in ('labeled', 'unlabeled', 'val')), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({'benchmark': 'fit_diagnosis', 'runs': res, 'wall_seconds': round(time.time() - t0, 1),
                               'command': ' '.join(['python'] + sys.argv), 'machine': machine()}, indent=1))
    print('->', out)

if __name__ == '__main__': main()
