"""What pixel weights in L_u cost: the lean CCT step of the scenes configuration with and without Conf-Mask and
class-balanced weights, stepped in turn in one process.

Why: the class-balanced experiment of experiments/scenes.ipynb (seeds 40-43) saw CCT take 27.7-28.3 min per seed against 23.4-24.9 in
the unweighted confirmation on the same CPU type. This script measures, on one machine and in one process, how much of
a training step the weights themselves take, so that the difference is not guessed from runs of different sessions.

Setting: the scenes CPU configuration of `cct_nb_train` (ResNet-18 from random weights, z of 256 channels, the 30
auxiliary decoders of Table 12, MSE consistency, w_u = 30, 8 labeled + 8 unlabeled images of 96 x 128, 6 classes),
SGD, `--threads` torch threads. A step is `opt.zero_grad(); loss_func(model(x_l, x_u), y).backward(); opt.step()`,
the lean step `cct_learner` runs. Configurations (the `CCTLoss` settings):
  plain          eq. 2 as in the paper: every pixel weight 1 (no weight tensor at all)
  conf_mask      Conf-Mask, beta = 0.5 (Appendix B.2): 0/1 weights
  class_balance  class-balanced weights, alpha = 1 (our extension, `class_balance_weights`)
  both           Conf-Mask and class-balanced weights
Every round steps each configuration once, in a rotating order, on the same model and batch; the ratio of a
configuration to `plain` is the median over rounds of the per-round ratio, so a change of load hits both sides alike.
`parts` times the pieces alone on a fixed z: the weights (`consistency_weights`) and `aux_consistency` (30 decoders,
forward and backward) with each kind of weight.

Run from the project root:  .venv/bin/python -m benchmarks.consistency_weights [--steps 12] [--threads 1]
(a few minutes on an idle core). Writes benchmarks/results/speed/consistency_weights.json.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.consistency_weights')
import argparse, json, statistics, sys, time
from pathlib import Path
from benchmarks.records import machine, timed

CONFIGS = {'plain': {}, 'conf_mask': {'conf_mask': 0.5}, 'class_balance': {'class_balance': 1.0},
           'both': {'conf_mask': 0.5, 'class_balance': 1.0}}

def summary(times:dict, ref:str='plain') -> dict: # config -> [(wall, cpu) per round]
    "Median wall / CPU seconds of each configuration and its median per-round ratio to `ref`."
    out = {}
    for k, v in times.items():
        out[k] = {'median_s': statistics.median(w for w, _ in v), 'median_cpu_s': statistics.median(c for _, c in v),
                  'wall_s': [w for w, _ in v], 'cpu_s': [c for _, c in v]}
        if k != ref:
            out[k]['over_' + ref] = statistics.median(a[0] / b[0] for a, b in zip(v, times[ref]))
            out[k]['over_' + ref + '_cpu'] = statistics.median(a[1] / b[1] for a, b in zip(v, times[ref]))
    return out

def interleave(fns:dict, steps:int, warmup:int) -> dict: # name -> function to time
    "Warm every function up, then `steps` rounds, each calling every function once in a rotating order."
    for f in fns.values():
        for _ in range(warmup): f()
    names, times = list(fns), {k: [] for k in fns}
    for i in range(steps):
        for k in names[i % len(names):] + names[:i % len(names)]: times[k].append(timed(fns[k]))
    return times

def build(a):
    "The scenes CCT model, its optimizer and one labeled + one unlabeled batch (random images, random labels)."
    import torch
    from cct_nb.data import DATASETS
    from cct_nb.train import cct_model
    info = DATASETS['scenes']
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    xl, xu = torch.randn(a.bs, 3, 96, 128, generator=g), torch.randn(a.bs, 3, 96, 128, generator=g)
    y = torch.randint(0, info.n_classes, (a.bs, 96, 128), generator=g)
    model = cct_model(info, 'resnet18', z_channels=256, perturbations='cct', fused=True).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
    return info, model, opt, xl, xu, y

def steps_timing(a):
    "The whole lean step of each configuration, interleaved."
    from cct_nb.train import CCTLoss
    info, model, opt, xl, xu, y = build(a)
    def step_of(kw):
        lf = CCTLoss(info.n_classes, info.ignore_index, unsup_loss='mse', **kw); lf.w_u = 30.
        def step(): opt.zero_grad(); lf(model(xl, xu), y).backward(); opt.step()
        return step
    return summary(interleave({k: step_of(kw) for k, kw in CONFIGS.items()}, a.steps, a.warmup))

def parts_timing(a):
    "The weights alone and `aux_consistency` alone (forward + backward of the 30 decoders) with each kind of weight."
    import torch, torch.nn.functional as F
    from cct_nb.losses import consistency_weights
    from cct_nb.lean import aux_consistency
    info, model, opt, xl, xu, y = build(a)
    with torch.no_grad(): z0 = model.encoder(xu)
    z = z0.detach().requires_grad_()
    with torch.no_grad(): ml = model.decoder(z)
    p = F.softmax(F.interpolate(ml, size=xu.shape[-2:], mode='bilinear', align_corners=False), 1)
    def aux_run(kw):
        def run():
            m = consistency_weights(p, **kw)
            aux_consistency(model.aux, z, ml, p, m, 'mse').backward()
            z.grad = None
            for q in model.aux.parameters(): q.grad = None
        return run
    weights = summary(interleave({k: (lambda kw=kw: consistency_weights(p, **kw)) for k, kw in CONFIGS.items() if kw},
                                 a.steps * 5, a.warmup), ref='conf_mask')
    return {'aux_consistency': summary(interleave({k: aux_run(kw) for k, kw in CONFIGS.items()}, a.steps, a.warmup)),
            'weights_alone': weights}

def code_version() -> dict:
    "Which cct_nb was measured: its folder and the git commit of that checkout (with '+changes' when it differs from the commit)."
    import subprocess, cct_nb
    root = Path(cct_nb.__file__).resolve().parent.parent
    git = lambda *c: subprocess.run(['git', '-C', str(root), *c], capture_output=True, text=True).stdout.strip()
    commit = git('rev-parse', 'HEAD')
    return {'cct_nb': str(root), 'commit': (commit + ('+changes' if git('status', '--porcelain', '--', 'cct_nb') else '')) if commit else None}

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=12, help='measured rounds (after the warm-up)')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=1, help='torch threads (the experiments ran one process per core: 1)')
    p.add_argument('--bs', type=int, default=8, help='labeled and unlabeled batch size (the scenes configuration: 8)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='benchmarks/results/speed/consistency_weights.json')
    p.add_argument('--overwrite', action='store_true', help='replace an existing --out file')
    a = p.parse_args()
    if a.steps < 1 or a.warmup < 0 or a.threads < 1 or a.bs < 1: p.error('--steps, --threads and --bs must be >= 1, --warmup >= 0')
    out = Path(a.out)
    if out.exists() and not a.overwrite: p.error(f'--out {out}: exists; pass --overwrite to replace it')
    import os, torch
    torch.set_num_threads(a.threads)
    t0, load0 = time.perf_counter(), os.getloadavg()
    res = {'benchmark': 'consistency_weights', 'command': ' '.join(['python'] + sys.argv), 'seed': a.seed,
           'setting': {'dataset': 'scenes', 'arch': 'resnet18', 'z_channels': 256, 'perturbations': 'cct (30 decoders)',
                       'unsup_loss': 'mse', 'w_u': 30., 'batch': f'{a.bs} labeled + {a.bs} unlabeled, 96 x 128',
                       'steps': a.steps, 'warmup': a.warmup, 'configs': CONFIGS},
           'step': steps_timing(a), 'parts': parts_timing(a)}
    res['machine'] = machine() | {'loadavg_start': load0, 'loadavg_end': os.getloadavg()}
    res['code'] = code_version()
    res['wall_seconds'] = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    for k, v in res['step'].items():
        print(f"step {k:14s} {v['median_s']:.3f} s" + (f"  x{v['over_plain']:.3f} of plain" if 'over_plain' in v else ''))
    for k, v in res['parts']['aux_consistency'].items():
        print(f"aux_consistency {k:14s} {1000 * v['median_s']:.1f} ms" + (f"  x{v['over_plain']:.3f} of plain" if 'over_plain' in v else ''))
    for k, v in res['parts']['weights_alone'].items():
        print(f"weights alone {k:14s} {1000 * v['median_s']:.2f} ms")
    print(f"wrote {out}")

if __name__ == '__main__': main()
