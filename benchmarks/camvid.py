"""Issue 9, part 2: the paper's CamVid experiments (Fig. 5, Tables 5 and 6) at a scale this CPU can run. Appends JSON records.

One CPU configuration for every cell (`CPU_CONFIG`: ResNet-18 from random init, z with 128 channels, 96x128 inputs, batch 8,
3 epochs = 3 passes over the unlabeled images, fastai's recipe; evaluated on CamVid's 101 val images, the test split is not used).
Cells (`--groups`, any of):
  fig5    n = 20, 50, 100 labeled (seeded splits, the rest unlabeled): the baseline, each perturbation alone with K = 2
          (I-VAT, F-Drop, F-Noise, DropOut, Obj-Msk, Con-Msk, G-Cutout), CCT full (Table 12's 30 decoders), CCT full + ab-CE
  table5  n = 50, CCT full with the KL and JS consistency (MSE is the fig5 cell)
  table6  n = 50, CCT full with Conf-Mask (beta = 0.5) and with the pair-wise loss (4 random auxiliary predictions)
  seeds   n = 50, baseline and CCT full with seeds 1 and 2 (seed 0 is in fig5; `--seeds` for others, e.g. --seeds 3 4)
  dropout_seeds  n = 50, CCT with the DropOut decoders alone (K = 2, the best single perturbation of fig5) with the same
          seeds, paired with the baselines of `seeds`
  confmask_seeds  n = 50, CCT full with Conf-Mask (beta = 0.5, the table6 cell's configuration) with the same seeds,
          paired with the baselines of `seeds` (on the scenes Conf-Mask stops CCT's collapse: experiments/scenes.ipynb)
  long_seeds  n = 50, baseline and CCT full as in `seeds` but trained LONG_EPOCHS = 12 epochs (468 iterations, 4x the
          budget) with the same seeds; its own cells (`n50_baseline_12ep_seedS`, `n50_cct_12ep_seedS`), whose records go
          to their own file (--out's default for it: benchmarks/results/camvid/camvid_long.jsonl, read by experiments/scenes.ipynb)
Each cell is one `cct_nb_train` run (`train_run`) in `--runs/<cell>`: a cell whose folder has metrics.json is not trained
again, a cell killed mid-run resumes from its last epoch (`resume_run`), and a finished cell not yet in `--out` is
appended as one JSON line (config, seed, mIoU, per-class IoU, pixel accuracy, training seconds, wall seconds, command,
machine, commit). Several processes can share the grid: each claims the next free cell (a `<cell>.claim` file with its pid in --runs; a
dead process's claim is taken over and its cell resumed), and the appends are locked. `--shard i/N` instead gives a
process every N-th cell.

Run from the project root (the figures of experiments/camvid.ipynb), one process per core:
  OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.camvid &
  OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.camvid
Cells run in the order: every n = 50 cell (fig5, table5, table6, seeds), then n = 20 and n = 100, so a partial grid has\nthe n = 50 experiments complete.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.camvid')
import argparse, json, os, sys, time
from pathlib import Path
import torch
from benchmarks.records import machine, git_commit, recorded, append_record, claim_cell, add_camvid, camvid_dir

CPU_CONFIG = dict(size=(96, 128), arch='resnet18', z_channels=128, bs=8, epochs=3, recipe='fastai')
SINGLE = ('vat', 'drop', 'noise', 'dropout', 'object', 'context', 'cutout')   # the perturbations of Fig. 5, K = 2 each
GROUPS = ('fig5', 'table5', 'table6', 'seeds', 'dropout_seeds', 'confmask_seeds', 'long_seeds')
LONG_EPOCHS = 12                       # long_seeds: 4x CPU_CONFIG's 3 epochs
GRID_GROUPS = GROUPS[:-1]              # the default: the cells of camvid/camvid_grid.jsonl (experiments/camvid.ipynb), not long_seeds
GRID_OUT, LONG_OUT = 'benchmarks/results/camvid/camvid_grid.jsonl', 'benchmarks/results/camvid/camvid_long.jsonl'

def cells(groups, ns=(20, 50, 100), seeds=(1, 2)):
    "Every cell of the chosen groups: (name, group, method, seed, train_run options), the n = 50 cells first."
    out = []
    for g in groups:
        if g == 'fig5':
            for n in sorted(ns, key=lambda n: (n != 50, n)):
                out.append((f'n{n}_baseline_seed0', g, 'baseline', 0, dict(n_labeled=n)))
                for p in SINGLE: out.append((f'n{n}_{p}2_seed0', g, 'cct', 0, dict(n_labeled=n, perturbations=f'{p}:2')))
                out.append((f'n{n}_cct_seed0', g, 'cct', 0, dict(n_labeled=n, perturbations='cct')))
                out.append((f'n{n}_cct_abce_seed0', g, 'cct', 0, dict(n_labeled=n, perturbations='cct', sup_loss='abce')))
        elif g == 'table5':
            for d in ('kl', 'js'): out.append((f'n50_cct_{d}_seed0', g, 'cct', 0, dict(n_labeled=50, unsup_loss=d)))
        elif g == 'table6':
            out.append(('n50_cct_confmask_seed0', g, 'cct', 0, dict(n_labeled=50, conf_mask=0.5)))
            out.append(('n50_cct_pairwise_seed0', g, 'cct', 0, dict(n_labeled=50, pairwise=4)))
        elif g == 'seeds':
            for s in seeds:
                out.append((f'n50_baseline_seed{s}', g, 'baseline', s, dict(n_labeled=50)))
                out.append((f'n50_cct_seed{s}', g, 'cct', s, dict(n_labeled=50, perturbations='cct')))
        elif g == 'dropout_seeds':
            for s in seeds: out.append((f'n50_dropout2_seed{s}', g, 'cct', s, dict(n_labeled=50, perturbations='dropout:2')))
        elif g == 'confmask_seeds':
            for s in seeds: out.append((f'n50_cct_confmask_seed{s}', g, 'cct', s, dict(n_labeled=50, conf_mask=0.5)))
        elif g == 'long_seeds':
            for s in seeds:
                out.append((f'n50_baseline_{LONG_EPOCHS}ep_seed{s}', g, 'baseline', s, dict(n_labeled=50, epochs=LONG_EPOCHS)))
                out.append((f'n50_cct_{LONG_EPOCHS}ep_seed{s}', g, 'cct', s, dict(n_labeled=50, perturbations='cct', epochs=LONG_EPOCHS)))
        else: raise ValueError(f"--groups {g!r}: choose from {GROUPS}")
    return sorted(out, key=lambda c: c[4]['n_labeled'] != 50)      # stable: every n = 50 cell first

def records_file(groups, out=None) -> str:
    "Where the records of `groups` go: the grid's file, or long_seeds' own (never mixed: their labels would collide in experiments/camvid.ipynb)."
    if 'long_seeds' in groups and len(set(groups)) > 1: raise ValueError(f"--groups {' '.join(groups)}: run long_seeds alone (its records have their own file)")
    if out is None: return LONG_OUT if 'long_seeds' in groups else GRID_OUT
    if 'long_seeds' in groups and Path(out).name == Path(GRID_OUT).name:
        raise ValueError(f"--out {out}: long_seeds' records would be read as the 3-epoch grid's there; give another file (default {LONG_OUT})")
    return out

def run_cell(name, group, method, seed, opts, a):
    "Train (or resume, or reuse) one cell; its record."
    from cct_nb.run import train_run, resume_run, TRAIN_STATE
    run_dir = Path(a.runs) / name
    t0 = time.time()
    if (run_dir / 'metrics.json').is_file(): m, how = json.loads((run_dir / 'metrics.json').read_text()), 'reused'
    elif (run_dir / TRAIN_STATE).is_file(): m, how = resume_run(run_dir, quiet=True), 'resumed'
    else:
        m = train_run(run_dir, method, 'camvid', a.data_dir, overwrite=True, quiet=True, seed=seed, **(CPU_CONFIG | opts))
        how = 'trained'
    cfg = m['config']
    return {'cell': name, 'group': group, 'method': method, 'seed': seed, 'n_labeled': m['n_labeled'], 'n_unlabeled': m['n_unlabeled'],
            'perturbations': cfg.get('perturbations') if method == 'cct' else None, 'sup_loss': cfg.get('sup_loss'),
            'unsup_loss': cfg.get('unsup_loss') if method == 'cct' else None, 'conf_mask': cfg.get('conf_mask'),
            'pairwise': cfg.get('pairwise'), 'miou': m['miou'], 'per_class_iou': m['per_class_iou'], 'pixel_acc': m.get('pixel_acc'),
            'iterations': m['iterations'], 'train_seconds': m['seconds'], 'wall_seconds': round(time.time() - t0, 1), 'how': how,
            'config': cfg, 'run_dir': str(run_dir), 'command': ' '.join(['python'] + sys.argv),
            'omp_num_threads': os.environ.get('OMP_NUM_THREADS'), 'machine': machine(), 'commit': git_commit()}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_camvid(ap)
    ap.add_argument('--groups', nargs='+', default=list(GRID_GROUPS), help=f'any of {GROUPS} (default: all but long_seeds, the grid of experiments/camvid.ipynbts)')
    ap.add_argument('--n', type=int, nargs='+', default=[20, 50, 100], help='labeled counts of fig5')
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2], help='seeds of the seeds, dropout_seeds, confmask_seeds and long_seeds groups (seed 0 is in fig5)')
    ap.add_argument('--runs', default='runs/camvid', help='folder of the run folders')
    ap.add_argument('--out', default=None, help=f'JSON-lines file the records are appended to (default: {GRID_OUT}, or {LONG_OUT} for long_seeds)')
    ap.add_argument('--shard', default='0/1', help='i/N: this process takes cells i, i+N, i+2N, ...')
    ap.add_argument('--limit', type=int, default=None, help='stop after training this many cells')
    ap.add_argument('--dry-run', action='store_true', help='list the cells and what would happen to each')
    a = ap.parse_args()
    if not (camvid_dir(a.data_dir) / 'train').is_dir(): sys.exit(f"error: --data-dir {a.data_dir}: no CamVid train/ folder there")
    try: i, n = (int(v) for v in a.shard.split('/')); assert 0 <= i < n
    except (ValueError, AssertionError): sys.exit(f"error: --shard {a.shard!r}: expected i/N with 0 <= i < N")
    if 0 in a.seeds: sys.exit("error: --seeds 0: seed 0 of baseline and CCT full is the fig5 cell, give seeds >= 1")
    try: todo = cells(a.groups, a.n, a.seeds)
    except ValueError as e: sys.exit(f"error: {e}")
    try: a.out = records_file(a.groups, a.out)
    except ValueError as e: sys.exit(f"error: {e}")
    out, trained = Path(a.out), 0
    done = recorded(out, 'camvid.py')
    for k, (name, group, method, seed, opts) in enumerate(todo):
        if k % n != i or name in done: continue
        if a.dry_run: print(name, group, method, seed, opts); continue
        if a.limit is not None and trained >= a.limit: break
        if name in recorded(out, 'camvid.py') or not claim_cell(a.runs, name): continue     # done or being trained by another process
        try:
            rec = run_cell(name, group, method, seed, opts, a)
            trained += rec['how'] != 'reused'
            if append_record(out, rec): print(f"{name}: mIoU {100 * rec['miou']:.1f} ({rec['how']}, {rec['train_seconds']:.0f} s)", flush=True)
        finally: (Path(a.runs) / f'{name}.claim').unlink(missing_ok=True)

if __name__ == '__main__': main()
