"""Issue 35: CCT where the method should show its gain, a CPU regime in which the supervised baseline over-fits its few labels.

The regime (`REGIME`, the run preset `camvid-overfit` of reference/config: `cct_nb_train --preset camvid-overfit`): CamVid (96x128), ResNet-18 from random weights, z with 128 channels, batch 8, fastai's recipe
(Adam, one-cycle, lr 3e-3), `--epochs` 24 passes over the unlabeled images (1,032 iterations at n = 20), every run with
`--diagnose`: per epoch the mIoU on its own labeled images and on val, and for CCT how much of L_u is the auxiliary
decoders' lag behind the main decoder (nbs/reference/diagnostics.ipynb). Scored on CamVid's 101 val images (one video
sequence); the test split is never used.

Arms, every one a `cct_nb_train` run (`train_run`), paired by seed (same split, initial weights and labeled batches):
  baseline      the supervised network alone (Fig. 5's baseline)
  cct           CCT as the paper has it: Table 12's 30 auxiliary decoders, MSE, lambda_u = 30 ramped up over 10 %
  cct_auxsup    the same, the auxiliary decoders also trained on the labeled batch (`--aux-sup 1`, as SSL4MIS does)
  cct_pointwise the same 30 decoders given only to the perturbations that change every cell of z (`--perturbations pointwise`:
                2 I-VAT, 14 F-Noise, 14 DropOut), the perturbation set meant for a coarse feature grid
Cells (`--groups`, any of):
  fitcheck      the baseline at n = 20 and n = 50: does it over-fit (labeled-set mIoU at least 10 points above val)?
  screen        n = 20, the arms, on `--seeds` (the screen that picks the regime and the variant)
  confirm       n = 20, the arms and the seeds fixed in experiments/overfit.ipynb before its first run
                (`OVERFIT_CONFIRM_ARMS`, `OVERFIT_PLANNED` in experiments/analysis.py; `--seeds` may pick some of them)
Cell names: n{n}_{arm}_{epochs}ep_seed{seed}. Each cell trains into `--runs/<cell>` (a finished cell is reused, a killed one
resumes), several processes share the cells through claim files, and each finished cell is appended to `--out` as one
JSON line with its configuration, mIoU, per-class IoU, the per-epoch diagnostics, seconds, command, machine and commit.

Run from the project root, one process per core:
  OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.overfit --groups screen --seeds 100 101 &
  OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.overfit --groups screen --seeds 100 101
  OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.overfit --groups confirm &      # the pre-registered confirmation
  OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.overfit --groups confirm
Print what the records say (the over-fit check, the screen, head lag, the confirmation's test, interval and per-class gaps):
  .venv/bin/python -m benchmarks.overfit --report
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.overfit')
import argparse, json, os, sys, time
from pathlib import Path
from benchmarks.records import machine, git_commit, recorded, append_record, claim_cell, add_camvid, camvid_dir
from experiments.analysis import OVERFIT_PLANNED, OVERFIT_CONFIRM_ARMS, overfit_records, overfit_report
from cct_nb.config import run_preset

DATASET, REGIME = run_preset('camvid-overfit')   # n = 20, 96x128, ResNet-18, z 128, batch 8, fastai, 24 epochs, --diagnose
ARMS = {'baseline': ('baseline', {}), 'cct': ('cct', dict(perturbations='cct')),
        'cct_auxsup': ('cct', dict(perturbations='cct', aux_sup=1.0)), 'cct_pointwise': ('cct', dict(perturbations='pointwise'))}
GROUPS = ('fitcheck', 'screen', 'confirm')
OUT = 'benchmarks/results/overfit/overfit.jsonl'

def cells(groups, seeds, epochs:int=REGIME['epochs'], arms=tuple(ARMS)):
    "(name, group, arm, seed, n_labeled) of every cell of the groups, each once, in the order a process takes them."
    out = []
    for g in groups:
        if g not in GROUPS: raise ValueError(f"--groups {g!r}: choose from {GROUPS}")
        if g == 'confirm': check_confirmation(seeds, epochs)
        for s in (seeds or OVERFIT_PLANNED) if g == 'confirm' else seeds:
            if g == 'fitcheck': out += [(f'n{n}_baseline_{epochs}ep_seed{s}', g, 'baseline', s, n) for n in (20, 50)]
            else: out += [(f'n20_{arm}_{epochs}ep_seed{s}', g, arm, s, 20) for arm in arms if g != 'confirm' or arm in OVERFIT_CONFIRM_ARMS]
    seen, unique = set(), []
    for c in out:                       # the n = 20 baseline of fitcheck is the screen's: one cell
        if c[0] not in seen: seen.add(c[0]); unique.append(c)
    return unique

def check_confirmation(seeds, epochs:int):
    "Refuse a confirmation cell that was not pre-registered: a seed outside `OVERFIT_PLANNED`, or another budget than the regime's."
    bad = sorted(set(seeds or ()) - set(OVERFIT_PLANNED))
    if bad: raise ValueError(f"--seeds {bad}: the confirmation's seeds are fixed in advance ({OVERFIT_PLANNED.start}-{OVERFIT_PLANNED.stop - 1})")
    if epochs != REGIME['epochs']: raise ValueError(f"--epochs {epochs}: the confirmation's budget is fixed in advance ({REGIME['epochs']} epochs)")

def record(name, group, arm, seed, m:dict, how:str, run_dir:Path, t0:float) -> dict:
    "The JSON line of a finished cell."
    return {'cell': name, 'group': group, 'arm': arm, 'method': m['method'], 'seed': seed, 'n_labeled': m['n_labeled'],
            'n_unlabeled': m['n_unlabeled'], 'miou': m['miou'], 'per_class_iou': m['per_class_iou'], 'pixel_acc': m.get('pixel_acc'),
            'diagnostics': m.get('diagnostics'), 'iterations': m['iterations'], 'train_seconds': m['seconds'], 'epoch_seconds': m.get('epoch_seconds'),
            'wall_seconds': round(time.time() - t0, 1), 'how': how, 'config': m['config'], 'run_dir': str(run_dir),
            'command': ' '.join(['python'] + sys.argv), 'omp_num_threads': os.environ.get('OMP_NUM_THREADS'),
            'machine': machine(), 'commit': git_commit()}

def run_cell(name, group, arm, seed, n, a) -> dict:
    "Train (or resume, or reuse) one cell; its record."
    from cct_nb.run import train_run, resume_run, TRAIN_STATE
    run_dir, t0 = Path(a.runs) / name, time.time()
    method, opts = ARMS[arm]
    if (run_dir / 'metrics.json').is_file(): m, how = json.loads((run_dir / 'metrics.json').read_text()), 'reused'
    elif (run_dir / TRAIN_STATE).is_file(): m, how = resume_run(run_dir, quiet=True), 'resumed'
    else:
        m = train_run(run_dir, method, DATASET, a.data_dir, overwrite=True, quiet=True, seed=seed,
                      **(REGIME | {'n_labeled': n, 'epochs': a.epochs} | opts))
        how = 'trained'
    return record(name, group, arm, seed, m, how, run_dir, t0)

def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_camvid(ap)
    ap.add_argument('--groups', nargs='+', default=['screen'], help=f'any of {GROUPS}')
    ap.add_argument('--seeds', type=int, nargs='+', default=[], help='the paired seeds (the confirmation: some of its planned seeds; default all)')
    ap.add_argument('--arms', nargs='+', default=list(ARMS), help=f'of the screen and confirm groups, any of {list(ARMS)}')
    ap.add_argument('--epochs', type=int, default=REGIME['epochs'], help='passes over the unlabeled images')
    ap.add_argument('--runs', default='runs/overfit', help='folder of the run folders')
    ap.add_argument('--out', default=OUT, help='JSON-lines file the records are appended to')
    ap.add_argument('--dry-run', action='store_true', help='list the cells and what would happen to each')
    ap.add_argument('--report', action='store_true', help='print what the records of --out say, and train nothing')
    a = ap.parse_args(argv)
    if a.report: return a
    if not a.seeds and set(a.groups) != {'confirm'}: ap.error(f"--seeds: needed for --groups {[g for g in a.groups if g != 'confirm']}")
    if not (camvid_dir(a.data_dir) / 'train').is_dir(): ap.error(f"--data-dir {a.data_dir}: no CamVid train/ folder there")
    bad = [x for x in a.arms if x not in ARMS]
    if bad: ap.error(f"--arms {bad}: choose from {list(ARMS)}")
    if a.epochs < 1: ap.error(f"--epochs {a.epochs}: must be at least 1")
    try: a.cells = cells(a.groups, a.seeds, a.epochs, tuple(a.arms))
    except ValueError as e: ap.error(str(e))
    return a

def main(argv=None):
    a = parse(argv)
    out = Path(a.out)
    if a.report: return overfit_report(overfit_records(out))
    for name, group, arm, seed, n in a.cells:
        if name in recorded(out, 'overfit.py'): continue
        if a.dry_run: print(name, group, arm, seed, n); continue
        if not claim_cell(a.runs, name): continue            # being trained by another process
        try:
            rec = run_cell(name, group, arm, seed, n, a)
            if append_record(out, rec): print(f"{name}: mIoU {100 * rec['miou']:.1f} ({rec['how']}, {rec['train_seconds']:.0f} s)", flush=True)
        finally: (Path(a.runs) / f'{name}.claim').unlink(missing_ok=True)

if __name__ == '__main__': main()
