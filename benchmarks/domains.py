"""CCT on multiple domains (§3.4, Tables 2, 3 and 7) on the CPU: per-domain and average validation mIoU of
single-domain baselines, single-domain CCT, the multi-domain baseline (the paper's: alternating, labeled images only),
multi-domain CCT and multi-domain CCT + the adversarial branch (Appendix E); and, not in the paper, the multi-domain
baseline and CCT with per-domain BatchNorm running statistics (`domain_bn`). Every domain gets the same number of
iterations in every configuration (`steps` per epoch: the longest domain's pass over its unlabeled images).

Two offline demonstrations:
  camvid_scenes  CamVid (n=50, 120x160) + the embedded scenes (n=30, 96x128): disjoint label spaces (like CS + SUN RGB-D)
  dusk_day       CamVid's dusk sequence 0001TP (n=12; its last 20 frames validate) + the day sequences 0006R0, 0016E5
                 (n=50; CamVid val): the same labels, shifted appearance

Usage (the figures of experiments/domains.ipynb; one process per demo, one thread each):
  OMP_NUM_THREADS=1 python -m benchmarks.domains --demo camvid_scenes --seeds 0 --data-dir $CCT_NB_CAMVID
  OMP_NUM_THREADS=1 python -m benchmarks.domains --demo dusk_day --seeds 0 --data-dir $CCT_NB_CAMVID
Results accumulate in --out (a run already recorded there is skipped unless --rerun), so demos and seeds can run in
separate processes; each run's folder (metrics.json, history.csv, splits, model_<domain>.pth) is kept under --runs.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.domains')
import argparse, fcntl, json, os, statistics, sys, tempfile, time
from pathlib import Path
from benchmarks.records import machine

DEMOS = {'camvid_scenes': ['camvid', 'scenes'], 'dusk_day': ['camvid_dusk', 'camvid_day']}
CONFIGS = {  # name: (one run per domain alone?, method, adversarial branch, per-domain BatchNorm statistics)
    'single_baseline': (True, 'baseline', False, False),
    'single_cct': (True, 'cct', False, False),
    'multi_baseline': (False, 'baseline', False, False),
    'multi_cct': (False, 'cct', False, False),
    'multi_cct_adv': (False, 'cct', True, False),
    'multi_baseline_dbn': (False, 'baseline', False, True),   # not in the paper: the encoder's BN running statistics per domain
    'multi_cct_dbn': (False, 'cct', False, True),
}
SETTINGS = dict(arch='resnet18', z_channels=256, bs=8, recipe='fastai', lr=3e-3, epochs=3, perturbations='cct', lambda_adv=2e-2)

def _steps(domains, data_dir, bs, seed):
    "Iterations per domain per epoch: the longest domain's pass over its unlabeled images."
    from cct_nb.domain_runs import domain_config, domain_data
    return max(len(domain_data(domain_config(d), None if d == 'scenes' else data_dir, bs, seed).dls.train) for d in domains)

def _update(out:Path, fn):
    "Read-modify-write the results JSON under a lock (several processes may write it)."
    with open(Path(tempfile.gettempdir()) / f'cct_nb_bench_{out.name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = json.loads(out.read_text()) if out.exists() else {'benchmark': 'domains', 'runs': []}
        fn(res)
        tmp = out.with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1)); os.replace(tmp, out)
        return res

def _mean_std(v):
    return {'mean': statistics.mean(v), 'std': statistics.stdev(v) if len(v) > 1 else 0.0, 'n': len(v)}

def summary(runs:list) -> dict:
    "Per demo and configuration: mean ± std over seeds of every domain's mIoU and of their average (Tables 2, 3, 7)."
    out = {}
    for demo, domains in DEMOS.items():
        for cfg in CONFIGS:
            per_seed = {}
            for r in runs:
                if r['demo'] == demo and r['config'] == cfg: per_seed.setdefault(r['seed'], {}).update(r['miou'])
            full = {s: m for s, m in per_seed.items() if set(m) == set(domains)}
            if not full: continue
            row = {d: _mean_std([m[d] for m in full.values()]) for d in domains}
            row['avg'] = _mean_std([statistics.mean(m[d] for d in domains) for m in full.values()])
            row['seeds'] = sorted(full)
            out.setdefault(demo, {})[cfg] = row
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--demo', choices=sorted(DEMOS))
    ap.add_argument('--data-dir', help='the CamVid folder')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0])
    ap.add_argument('--configs', nargs='+', choices=list(CONFIGS), default=list(CONFIGS))
    ap.add_argument('--epochs', type=int, default=SETTINGS['epochs'])
    ap.add_argument('--runs', default='runs/bench-domains', help='folder for the run folders')
    ap.add_argument('--out', default='benchmarks/results/domains/domains.json')
    ap.add_argument('--rerun', action='store_true', help='retrain runs already recorded in --out')
    ap.add_argument('--summarize', action='store_true', help='only recompute the summary of --out (no training)')
    a = ap.parse_args()
    out = Path(a.out)
    if a.summarize:
        def resum(res):
            res['configs'] = {k: {'alone': v[0], 'method': v[1], 'adversarial': v[2], 'domain_bn': v[3]} for k, v in CONFIGS.items()}
            res['summary'] = summary([r for r in res['runs'] if r['epochs'] == res['settings']['epochs']])
        _update(out, resum); print(f"summary of {out} recomputed"); return
    if a.demo is None or a.data_dir is None: ap.error('--demo and --data-dir are required (unless --summarize)')
    from cct_nb.domain_runs import domains_run
    if not Path(a.data_dir).is_dir(): sys.exit(f"error: --data-dir {a.data_dir} is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = SETTINGS | {'epochs': a.epochs}
    command = ' '.join([f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')}", 'python'] + sys.argv)
    domains = DEMOS[a.demo]
    for seed in a.seeds:
        steps = _steps(domains, a.data_dir, settings['bs'], seed)
        for cfg in a.configs:
            alone, method, adv, dbn = CONFIGS[cfg]
            for group in ([[d] for d in domains] if alone else [domains]):
                key = dict(demo=a.demo, config=cfg, seed=seed, domains=group)
                done = json.loads(out.read_text())['runs'] if out.exists() else []
                if not a.rerun and any(all(r.get(k) == v for k, v in key.items()) and r.get('epochs') == settings['epochs'] for r in done):
                    print(f"skip {key} (recorded)", flush=True); continue
                run_dir = Path(a.runs) / f"{a.demo}_{cfg}_{'+'.join(group)}_seed{seed}"
                t0, c0 = time.time(), time.process_time()
                m = domains_run(run_dir, group, a.data_dir, method=method, adversarial=adv, lambda_adv=settings['lambda_adv'], domain_bn=dbn, steps=steps,
                                overwrite=True, quiet=True, seed=seed, epochs=settings['epochs'], arch=settings['arch'],
                                z_channels=settings['z_channels'], bs=settings['bs'], recipe=settings['recipe'], lr=settings['lr'],
                                perturbations=settings['perturbations'])
                rec = key | {'method': method, 'adversarial': adv, 'domain_bn': dbn, 'miou': {d: r['miou'] for d, r in m['domains'].items()},
                             'pixel_acc': {d: r['pixel_acc'] for d, r in m['domains'].items()}, 'miou_avg': m['miou_avg'],
                             'n_labeled': m['n_labeled'], 'n_unlabeled': m['n_unlabeled'], 'n_valid': {d: r['n_images'] for d, r in m['domains'].items()},
                             'epochs': settings['epochs'], 'steps_per_domain_per_epoch': steps, 'iterations': m['iterations'],
                             'train_seconds': m['seconds'], 'wall_seconds': round(time.time() - t0, 1),
                             'cpu_seconds': round(time.process_time() - c0, 1), 'run_dir': str(run_dir),
                             'command': command, 'omp_num_threads': os.environ.get('OMP_NUM_THREADS'), 'machine': machine()}
                def add(res, rec=rec, key=key):
                    res['runs'] = [r for r in res['runs'] if not (all(r.get(k) == v for k, v in key.items()) and r.get('epochs') == rec['epochs'])] + [rec]
                    res['settings'], res['demos'] = settings, DEMOS
                    res['configs'] = {k: {'alone': v[0], 'method': v[1], 'adversarial': v[2], 'domain_bn': v[3]} for k, v in CONFIGS.items()}
                    res['summary'] = summary([r for r in res['runs'] if r['epochs'] == settings['epochs']])
                    res['commands'] = sorted(set(res.get('commands', [])) | {command})
                    res['machine'] = machine(); res['omp_num_threads'] = os.environ.get('OMP_NUM_THREADS')
                _update(out, add)
                print(f"{a.demo} {cfg} {'+'.join(group)} seed {seed}: " + ', '.join(f"{d} {100 * v:.1f}" for d, v in rec['miou'].items()) +
                      f" (avg {100 * rec['miou_avg']:.1f}; {rec['wall_seconds']:.0f} s wall, {rec['cpu_seconds']:.0f} s CPU)", flush=True)

if __name__ == '__main__': main()
