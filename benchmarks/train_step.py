"""Issue 9: one CCT training step of the paper's setting on this CPU, lean (the default) and straightforward.

Setting (the issue's): random-init ResNet-50 with output stride 8 + PSP, 21 classes (PASCAL VOC, background = stuff),
the 30 auxiliary decoders of Table 12 ("CCT": F-Noise 6, F-Drop 6, DropOut 6, Obj-Msk 2, Con-Msk 2, G-Cutout 6,
I-VAT 2), MSE consistency with w_u = 30, 2 labeled + 2 unlabeled images of SIZE x SIZE, SGD (momentum 0.9, weight
decay 1e-4), `--threads` torch threads (2, as in the issue).

A step is `opt.zero_grad(); loss_func(model(x_l, x_u), y_l).backward(); opt.step()`. Configurations:
  sup            the supervised step: `segmentation_net` (encoder + main decoder) with cross-entropy
  semi           the semi-supervised step as `cct_learner` runs it: `cct_model(...)` (fused=True, the lean step) + `CCTLoss`
  semi_straight  the same with `fused=False`: the straightforward step (30 full-resolution aux logits, one backward)
  interleaved    sup, semi and semi_straight built in one process and stepped in turn, one step each: the ratios
                 semi / sup from these step pairs are the robust ones on a shared machine (a change of load hits
                 both steps of a pair alike); its memory is not reported
  decoders       the auxiliary part alone, on a fixed z (2, 512, SIZE/8, SIZE/8) that requires grad: one main
                 decoder forward + backward (`main(z).sum()`, and with its cross-entropy), the 30 auxiliary decoders
                 with their perturbations and MSE losses forward + backward the lean way (`aux_consistency`) and the
                 straightforward way (`AuxiliaryDecoders` + `unsupervised_loss`), interleaved in one process; memory:
                 peak bytes of tensors created during one call (TorchDispatchMode of benchmarks/aux_decoders.py)

Every configuration runs in its own process (`--child`), so the peak resident set size the OS reports for it
(`VmHWM` of /proc/self/status, read at the end of the child) is that configuration's, model and imports included.
Time: the median over `--steps` steps after `--warmup` steps, wall clock (and process CPU time, which a shared machine
inflates less). With `--rounds R` the configurations are run R times in turn and the ratios (semi / sup) are the
median of the per-round ratios, so that a change of load hits both sides of a ratio alike.

Run from the project root:  .venv/bin/python benchmarks/train_step.py [--sizes 160,320] [--steps 5] [--rounds 1]
(about a quarter of an hour on an idle machine with the defaults).
Writes benchmarks/results/train_step.json (with a markdown table experiments/speed.ipynb prints).
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path
from _bench import timed   # benchmarks/ is on the path when a script of it runs

CONFIGS = ('sup', 'semi', 'semi_straight', 'decoders', 'interleaved')
# The official implementation on this machine type, as measured and reported in issue 9 (not measured here).
OFFICIAL = {'160': {'semi_s': 3.95, 'sup_s': 1.52, 'semi_rss_mib': 2185, 'sup_rss_mib': 1224},
            '320': {'semi_s': 13.8, 'sup_s': 6.04, 'semi_rss_mib': 5842, 'sup_rss_mib': 2308}}
TARGETS = {'semi_over_sup': 2.1, 'semi_rss_mib_320': 3.5 * 1024, 'aux_over_main_decoder': 30.}

def status_mib(key):
    "A `Vm...` line of /proc/self/status in MiB."
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'): return int(line.split()[1]) / 1024
    return float('nan')

def inputs(size, seed, n_classes=21):
    import torch
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(2, 3, size, size, generator=g), torch.randn(2, 3, size, size, generator=g),
            torch.randint(0, n_classes, (2, size, size), generator=g))

def build_step(config, a):
    "A function running one training step of `config` (sup, semi or semi_straight)."
    import torch
    from cct_nb.data import DATASETS
    from cct_nb.model import segmentation_net
    from cct_nb.losses import supervised_ce
    from cct_nb.train import cct_model, CCTLoss
    info = DATASETS['voc']
    torch.manual_seed(a.seed)
    xl, xu, y = inputs(a.size, a.seed, info.n_classes)
    if config == 'sup':
        model = segmentation_net(info.n_classes, 'resnet50').train()
        def loss(): return supervised_ce(model(xl), y)
    else:
        model = cct_model(info, 'resnet50', perturbations='cct', fused=(config == 'semi')).train()
        lf = CCTLoss(info.n_classes, info.ignore_index, unsup_loss='mse'); lf.w_u = 30.
        def loss(): return lf(model(xl, xu), y)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    def step(): opt.zero_grad(); loss().backward(); opt.step()
    return step

def child_step(config, a):
    "Build `config`, run warm-up + measured steps; return the timings and memory."
    step = build_step(config, a)
    rss_built = status_mib('VmRSS')
    for _ in range(a.warmup): step()
    wall, cpu = zip(*[timed(step) for _ in range(a.steps)])
    return dict(wall_s=list(wall), cpu_s=list(cpu), median_s=statistics.median(wall), median_cpu_s=statistics.median(cpu),
                peak_rss_mib=status_mib('VmHWM'), rss_after_build_mib=rss_built)

def child_interleaved(a):
    "sup, semi and semi_straight in one process, one step of each in turn: per-pair ratios to the supervised step."
    steps = {c: build_step(c, a) for c in ('sup', 'semi', 'semi_straight')}
    for s in steps.values():
        for _ in range(a.warmup): s()
    t = {c: [] for c in steps}
    for _ in range(a.steps):
        for c, s in steps.items(): t[c].append(timed(s))
    out = {c: dict(wall_s=[w for w, _ in v], cpu_s=[x for _, x in v], median_s=statistics.median(w for w, _ in v)) for c, v in t.items()}
    for c in ('semi', 'semi_straight'):
        out[f'{c}_over_sup'] = statistics.median(x[0] / y[0] for x, y in zip(t[c], t['sup']))
        out[f'{c}_over_sup_cpu'] = statistics.median(x[1] / y[1] for x, y in zip(t[c], t['sup']))
    return out

def child_decoders(a):
    "The auxiliary part alone: main decoder vs the 30 auxiliary decoders with their losses, lean and straightforward."
    import torch, torch.nn.functional as F
    from cct_nb.model import Decoder
    from cct_nb.perturbations import AuxiliaryDecoders
    from cct_nb.losses import unsupervised_loss, supervised_ce
    from cct_nb.lean import aux_consistency
    sys.path.insert(0, str(Path(__file__).parent))
    from aux_decoders import PeakMemory
    torch.manual_seed(a.seed)
    h = a.size // 8
    z = torch.randn(2, 512, h, h).relu_().requires_grad_()
    main, aux = Decoder(512, 21), AuxiliaryDecoders(512, 21, 'cct', stuff=(0,))
    with torch.no_grad(): ml = main(z)
    p, y = F.softmax(ml, 1), torch.randint(0, 21, (2, a.size, a.size))
    runs = {'main': lambda: main(z).sum().backward(),
            'main_ce': lambda: supervised_ce(main(z), y).backward(),
            'aux_lean': lambda: aux_consistency(aux, z, ml, p, distance='mse').backward(),
            'aux_straight': lambda: unsupervised_loss(ml, aux(z, ml), 'mse').backward()}
    def run(k):
        runs[k](); z.grad = None
        for q in (*main.parameters(), *aux.parameters()): q.grad = None
    for k in runs:
        for _ in range(a.warmup): run(k)
    times = {k: [] for k in runs}
    for _ in range(a.steps):
        for k in runs:
            t, c = time.perf_counter(), time.process_time(); run(k)
            times[k].append((time.perf_counter() - t, time.process_time() - c))
    out = {}
    for k, v in times.items():
        w, c = [x for x, _ in v], [x for _, x in v]
        with PeakMemory() as pm: run(k)
        out[k] = dict(wall_s=w, cpu_s=c, median_s=statistics.median(w), median_cpu_s=statistics.median(c), peak_tensor_mib=pm.peak / 2**20)
    for k in ('aux_lean', 'aux_straight'):
        for ref in ('main', 'main_ce'):
            out[k][f'x_{ref}'] = statistics.median(a_[0] / b[0] for a_, b in zip(times[k], times[ref]))
            out[k][f'x_{ref}_cpu'] = statistics.median(a_[1] / b[1] for a_, b in zip(times[k], times[ref]))
    return out

def run_child(config, size, a):
    cmd = [sys.executable, __file__, '--child', config, '--size', str(size), '--steps', str(a.steps), '--warmup', str(a.warmup),
           '--threads', str(a.threads), '--seed', str(a.seed)]
    env = os.environ | {'OMP_NUM_THREADS': str(a.threads), 'MKL_NUM_THREADS': str(a.threads)}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0: raise RuntimeError(f"{config} at {size}: child failed\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def fmt_table(res, sizes):
    "The markdown table of the notebook: this run next to the official figures of the issue."
    lines = ['| | ' + ' | '.join(f'{s}×{s}: cct_nb | {s}×{s}: official (issue) ' for s in sizes) + '|',
             '|---|' + '---|---|' * len(sizes)]
    def row(label, f, off=None):
        cells = []
        for s in sizes:
            v = f(res[s]); o = OFFICIAL.get(s, {}).get(off) if off else None
            cells += [v, '—' if o is None else (f'{o:.2f}' if isinstance(o, float) else str(o))]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    g = lambda c, k, fmt: (lambda r: fmt.format(r[c][k]) if c in r else '—')
    row('semi-supervised step, lean (median s)', g('semi', 'median_s', '{:.2f}'), 'semi_s')
    row('semi-supervised step, straightforward (median s)', g('semi_straight', 'median_s', '{:.2f}'))
    row('supervised step (median s)', g('sup', 'median_s', '{:.2f}'), 'sup_s')
    row('semi / supervised, lean, separate processes', lambda r: f"{r['ratios']['semi_over_sup']:.2f}" if 'semi_over_sup' in r.get('ratios', {}) else '—')
    row('semi / supervised, straightforward', lambda r: f"{r['ratios']['semi_straight_over_sup']:.2f}" if 'semi_straight_over_sup' in r.get('ratios', {}) else '—')
    row('semi / supervised, lean, interleaved steps (target ≤ 2.1)', lambda r: f"{r['ratios']['semi_over_sup_interleaved']:.2f}" if 'semi_over_sup_interleaved' in r.get('ratios', {}) else '—')
    row('semi / supervised, straightforward, interleaved steps', lambda r: f"{r['ratios']['semi_straight_over_sup_interleaved']:.2f}" if 'semi_straight_over_sup_interleaved' in r.get('ratios', {}) else '—')
    row('semi peak RSS, lean (MiB)', g('semi', 'peak_rss_mib', '{:.0f}'), 'semi_rss_mib')
    row('semi peak RSS, straightforward (MiB)', g('semi_straight', 'peak_rss_mib', '{:.0f}'))
    row('supervised peak RSS (MiB)', g('sup', 'peak_rss_mib', '{:.0f}'), 'sup_rss_mib')
    d = lambda k, key, fmt: (lambda r: fmt.format(r['decoders'][k][key]) if 'decoders' in r else '—')
    row('main decoder fwd+bwd (ms)', lambda r: f"{1000 * r['decoders']['main']['median_s']:.0f}" if 'decoders' in r else '—')
    row('30 aux. decoders + losses, lean (ms; × main decoder, target ≤ 30)', lambda r: f"{1000 * r['decoders']['aux_lean']['median_s']:.0f} ({r['decoders']['aux_lean']['x_main']:.1f}×)" if 'decoders' in r else '—')
    row('30 aux. decoders + losses, straightforward (ms; × main decoder)', lambda r: f"{1000 * r['decoders']['aux_straight']['median_s']:.0f} ({r['decoders']['aux_straight']['x_main']:.1f}×)" if 'decoders' in r else '—')
    row('30 aux. decoders, tensor peak: lean / straightforward (MiB)', lambda r: f"{r['decoders']['aux_lean']['peak_tensor_mib']:.0f} / {r['decoders']['aux_straight']['peak_tensor_mib']:.0f}" if 'decoders' in r else '—')
    return '\n'.join(lines)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', default='160,320', help='input sides (multiples of 8)')
    p.add_argument('--configs', default=','.join(CONFIGS), help=f'any of {CONFIGS}')
    p.add_argument('--steps', type=int, default=5, help='measured steps per configuration (after the warm-up)')
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--rounds', type=int, default=1, help='run every configuration this many times, in turn')
    p.add_argument('--threads', type=int, default=2, help='torch threads (the issue: 2)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default='benchmarks/results/train_step.json')
    p.add_argument('--child', choices=CONFIGS, help=argparse.SUPPRESS)
    p.add_argument('--size', type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        import torch
        torch.set_num_threads(a.threads)
        res = child_decoders(a) if a.child == 'decoders' else child_interleaved(a) if a.child == 'interleaved' else child_step(a.child, a)
        res['torch_threads'] = torch.get_num_threads()
        print(json.dumps(res)); return
    if a.steps < 1 or a.warmup < 0 or a.rounds < 1: p.error('--steps and --rounds must be >= 1, --warmup >= 0')
    sizes, configs = [s.strip() for s in a.sizes.split(',')], [c.strip() for c in a.configs.split(',')]
    bad = [c for c in configs if c not in CONFIGS] + [s for s in sizes if not s.isdigit() or int(s) % 8]
    if bad: p.error(f'{bad}: configurations must be among {CONFIGS}, sizes multiples of 8')
    import torch
    torch.set_num_threads(a.threads)
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import machine
    load0, t0 = os.getloadavg(), time.time()
    raw = {s: {c: [] for c in configs} for s in sizes}
    for r in range(a.rounds):
        for s in sizes:
            for c in configs:
                res = run_child(c, int(s), a); raw[s][c].append(res)
                m = res.get('median_s', res.get('aux_lean', res.get('semi', {})).get('median_s'))
                print(f"round {r} {s} {c}: median {m:.3f} s" + (f", peak RSS {res['peak_rss_mib']:.0f} MiB" if 'peak_rss_mib' in res else '')
                      + (f", semi/sup {res['semi_over_sup']:.2f}" if 'semi_over_sup' in res else ''), flush=True)
    results = {}
    for s in sizes:
        results[s] = {}
        for c in configs:
            runs = raw[s][c]
            if c in ('decoders', 'interleaved'): results[s][c] = runs[0] if a.rounds == 1 else {**runs[0], 'rounds': runs}; continue
            wall = [t for x in runs for t in x['wall_s']]; cpu = [t for x in runs for t in x['cpu_s']]
            results[s][c] = dict(median_s=statistics.median(wall), median_cpu_s=statistics.median(cpu), wall_s=wall, cpu_s=cpu,
                                 peak_rss_mib=max(x['peak_rss_mib'] for x in runs), rss_after_build_mib=runs[0]['rss_after_build_mib'],
                                 torch_threads=runs[0]['torch_threads'])
        ratios = {}
        for c in ('semi', 'semi_straight'):
            if c in configs and 'sup' in configs:
                ratios[f'{c}_over_sup'] = statistics.median(x['median_s'] / y['median_s'] for x, y in zip(raw[s][c], raw[s]['sup']))
                ratios[f'{c}_over_sup_cpu'] = statistics.median(x['median_cpu_s'] / y['median_cpu_s'] for x, y in zip(raw[s][c], raw[s]['sup']))
        if 'interleaved' in configs:
            for c in ('semi', 'semi_straight'):
                for sfx in ('', '_cpu'):
                    ratios[f'{c}_over_sup{sfx}_interleaved'] = statistics.median(x[f'{c}_over_sup{sfx}'] for x in raw[s]['interleaved'])
        results[s]['ratios'] = ratios
    targets = {}
    for s in sizes:
        r, t = results[s], {}
        key = 'semi_over_sup_interleaved' if 'semi_over_sup_interleaved' in r['ratios'] else 'semi_over_sup'
        if key in r['ratios']: t['semi_over_sup'] = dict(value=r['ratios'][key], target=TARGETS['semi_over_sup'], met=r['ratios'][key] <= TARGETS['semi_over_sup'], ratio=key)
        if 'semi' in r and s == '320': t['semi_peak_rss_mib'] = dict(value=r['semi']['peak_rss_mib'], target=TARGETS['semi_rss_mib_320'], met=r['semi']['peak_rss_mib'] <= TARGETS['semi_rss_mib_320'])
        if 'decoders' in r: t['aux_over_main_decoder'] = dict(value=r['decoders']['aux_lean']['x_main'], target=TARGETS['aux_over_main_decoder'], met=r['decoders']['aux_lean']['x_main'] <= TARGETS['aux_over_main_decoder'])
        targets[s] = t
    out = dict(issue=9, command=' '.join([Path(sys.executable).name] + sys.argv), seed=a.seed,
               setting=dict(arch='resnet50 (output stride 8) + PSP, random init', classes=21, perturbations='cct (30 decoders, Table 12)',
                            unsup_loss='mse', w_u=30., batch='2 labeled + 2 unlabeled', optimizer='SGD lr 0.01 momentum 0.9 wd 1e-4',
                            steps=a.steps, warmup=a.warmup, rounds=a.rounds, sizes=sizes),
               machine=machine() | dict(torch_threads=a.threads, loadavg_start=load0, loadavg_end=os.getloadavg(),
                                        shared='other jobs may share the cores: compare ratios from one run, not seconds across runs'),
               time_method='wall-clock median over the measured steps (all rounds); ratios: median over rounds of the ratio of per-round medians; '
                           '*_interleaved: median of per-step-pair ratios in the interleaved process (median over rounds); the target uses these when present',
               memory_method='peak_rss_mib: VmHWM of the configuration\'s own process (model, imports and data included); '
                             'peak_tensor_mib (decoders): peak bytes of tensors created during one call (TorchDispatchMode)',
               official_reference=dict(source='issue 9: the official implementation on this machine type (not measured by this script)', figures=OFFICIAL),
               targets_spec=TARGETS, results=results, targets=targets, seconds=round(time.time() - t0, 1))
    out['table_markdown'] = fmt_table(results, sizes)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(out['table_markdown']); print(json.dumps(targets, indent=1))

if __name__ == '__main__': main()
