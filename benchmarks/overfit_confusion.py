"""Issue 35, pixel by pixel: where the over-fit regime's baseline and paper CCT differ, on the images each was trained on and on val.

For every seed of a group (`--group`, default the confirmation) whose baseline and CCT cells both have a record in
`--records` (benchmarks/overfit.py's JSON lines), this loads each arm's finished network (`model.pth` in the cell's run
folder) and counts its confusion matrix (rows: truth, columns: prediction, void left out) on three sets of images at the
regime's size:
  labeled     the run's 20 labeled training images (its labeled.txt): what both arms fit
  unlabeled   the run's other 347 training images (its unlabeled.txt): where CCT's consistency loss acts
  val         CamVid's 101 val images: what the records score (a check: each arm's val mIoU here equals its record's)
A network is evaluated in eval mode on the images alone, so nothing trains and the result depends only on the run folders.
Writes one JSON record (`--out`) with the matrices by seed, arm and set, the classes, the seeds, machine, command and
commit; experiments/analysis.py's `overfit_confusion_tables` reads it, and experiments/overfit.ipynb prints what it says.
The matrices grow with the confirmation: run it again, with `--overwrite`, when seeds land.
Usage:  OMP_NUM_THREADS=1 python -m benchmarks.overfit_confusion --data-dir ../shared/data/camvid [--overwrite]
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.overfit_confusion')
import json, sys, time
from pathlib import Path
import torch
from benchmarks.records import parser, add_camvid, camvid_dir, machine, git_commit
from benchmarks.overfit import DATASET, REGIME, OUT as RECORDS
from experiments.analysis import overfit_records, OVERFIT_CONFIRM_ARMS
from cct_nb.checkpoint import load_checkpoint
from cct_nb.data import dataset_info, load_items, seg_dataset, read_split
from cct_nb.metrics import confusion_matrix

SETS = ('labeled', 'unlabeled', 'val')
OUT = 'benchmarks/results/overfit/confusion.json'

def paired_cells(recs:list, # `overfit_records`
                 group:str='confirm', arms=OVERFIT_CONFIRM_ARMS) -> dict: # the group; the arms that make a pair
    "{seed: {arm: run folder}} of the seeds of `group` with a record for every arm."
    by = {}
    for r in recs:
        if r['group'] == group and r['arm'] in arms: by.setdefault(r['seed'], {})[r['arm']] = Path(r['run_dir'])
    return {s: d for s, d in sorted(by.items()) if set(d) == set(arms)}

def image_set(run_dir:Path, which:str, data_dir:Path): # a run folder; one of SETS; the CamVid folder
    "(images, masks) of one set at the regime's size, as two tensors."
    if which == 'val': items = load_items(DATASET, data_dir, 'val')
    else:
        split = run_dir / f'{which}.txt'
        if not split.is_file(): raise FileNotFoundError(f"{split}: the run folder has no {which}.txt")
        items = read_split(split, data_dir)
    ds = seg_dataset(DATASET, data_dir, size=REGIME['size'], items=items)
    xs, ys = zip(*(ds[i] for i in range(len(ds))))
    return torch.stack(xs), torch.stack(ys)

def confusion_on(net, x:torch.Tensor, y:torch.Tensor, n_classes:int, ignore_index:int, bs:int=16) -> list: # eval-mode network; images; masks
    "The network's confusion matrix on the images (a nested list)."
    with torch.no_grad(): pred = torch.cat([net(x[i:i + bs]).argmax(1) for i in range(0, len(x), bs)])
    return confusion_matrix(pred, y, n_classes, ignore_index).tolist()

def main():
    ap = parser(__doc__); add_camvid(ap)
    ap.add_argument('--records', default=RECORDS, help="benchmarks/overfit.py's records")
    ap.add_argument('--group', default='confirm', help='fitcheck, screen or confirm')
    ap.add_argument('--out', default=OUT); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    data_dir, out = camvid_dir(a.data_dir), Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: --out {out} exists; --overwrite replaces it")
    pairs = paired_cells(overfit_records(a.records), a.group)
    if not pairs: sys.exit(f"error: --records {a.records}: no seed of group {a.group!r} has both arms {OVERFIT_CONFIRM_ARMS}")
    info, t0, mats = dataset_info(DATASET), time.time(), {}
    val = image_set(None, 'val', data_dir)
    for seed, runs in pairs.items():
        sets = {'labeled': image_set(runs['baseline'], 'labeled', data_dir), 'unlabeled': image_set(runs['baseline'], 'unlabeled', data_dir), 'val': val}
        mats[str(seed)] = {}
        for arm, run_dir in runs.items():
            if (run_dir / 'labeled.txt').read_text() != (runs['baseline'] / 'labeled.txt').read_text():
                sys.exit(f"error: {run_dir}: its labeled split differs from its baseline's; not a pair")
            net, _ = load_checkpoint(run_dir / 'model.pth')
            mats[str(seed)][arm] = {s: confusion_on(net, *sets[s], info.n_classes, info.ignore_index) for s in SETS}
        print(f"seed {seed}: {', '.join(runs)} on {', '.join(f'{s} ({len(sets[s][0])})' for s in SETS)}", flush=True)
    rec = {'benchmark': 'overfit_confusion', 'group': a.group, 'arms': list(OVERFIT_CONFIRM_ARMS), 'sets': list(SETS), 'size': list(REGIME['size']),
           'classes': list(info.classes), 'seeds': [int(s) for s in pairs], 'matrices': mats, 'seconds': round(time.time() - t0, 1),
           'machine': machine(), 'commit': git_commit(), 'date': time.strftime('%Y-%m-%d'),
           'command': ' '.join(['python -m benchmarks.overfit_confusion'] + sys.argv[1:])}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(rec))
    print(f"wrote {out}: seeds {rec['seeds']}")

if __name__ == '__main__': main()
