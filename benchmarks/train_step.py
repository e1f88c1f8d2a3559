"""One CCT training step of the paper's setting on this CPU: cct_nb and, with `--official DIR`, the official code, side by side in one run.

Setting: ResNet-50 with output stride 8 + PSP from random weights, 21 classes (PASCAL VOC, background = stuff), the 30
auxiliary decoders of Table 12 (F-Noise 6, F-Drop 6, DropOut 6, Obj-Msk 2, Con-Msk 2, G-Cutout 6, I-VAT 2), MSE
consistency with w_u = 30, 2 labeled + 2 unlabeled images of SIZE x SIZE, SGD (lr 0.01, momentum 0.9, weight decay 1e-4),
`--threads` torch threads. A step is `opt.zero_grad(); loss.backward(); opt.step()` with the loss of each implementation:
  cct_nb:sup            `segmentation_net` (encoder + main decoder) with cross-entropy
  cct_nb:semi           `cct_model(...)` + `CCTLoss`: the lean step (what `cct_learner` runs)
  cct_nb:semi_straight  the same with `fused=False`: the straightforward step (30 full-resolution aux logits, one backward)
  official:sup          the official `models.model.CCT` in its 'supervised' mode (its forward computes the loss)
  official:semi         the official `CCT` in its 'semi' mode, Table 12's decoders from its `configs/config.json`
  cct_nb:decoders       the auxiliary part alone on a fixed z: one main decoder forward + backward against the 30 auxiliary
                        decoders with their perturbations and losses, lean (`aux_consistency`) and straightforward
Speed options (`--options`), applied alike to both implementations:
  fp32           eager float32, the reference
  channels_last  model and inputs in the channels-last memory format
  bf16           the forward pass and the loss inside `torch.autocast('cpu', torch.bfloat16)` (the backward outside, as fastai does);
                 cct_nb keeps its lean step under autocast
  compile        the encoder compiled in place (`encoder.compile()`, torch.compile's default mode); its compile time is
                 measured (first steps minus a steady step) and reported with the number of steps that pay it back

Every (implementation, step, size, option) runs in its own process (`--child`), so the peak resident set size the OS
reports for it (VmHWM of /proc/self/status, at the end of the child) is that configuration's own, model and imports
included. Time: the median over `--steps` steps after `--warmup` steps, wall clock (and process CPU time). With
`--rounds R` every configuration runs R times, in turn, so a change of load hits both implementations of a round alike;
ratios are the medians over rounds of the per-round ratios. Without `--official` the record holds cct_nb's own ratios
only (semi / sup, lean / straightforward, auxiliary part / main decoder) and no speed-up against figures it did not measure.

The official code (github.com/yassouali/CCT) is never part of this repository: `--official DIR` names a user's own
clone. What its import needs, done in the child process that runs it and nowhere else:
  - its `utils/losses.py` must import: at the clone's latest commit it mixes tabs and spaces (TabError); the file of
    commit ef938b5 imports (`git -C DIR checkout ef938b5 -- utils/losses.py`); the child stops with that advice otherwise;
  - `torch.utils.tensorboard` (its trainer's writer) and `dominate` (its HTML log) are stubbed with empty modules: the
    benchmark builds the model and never the trainer;
  - `pretrained=None` (its Encoder would otherwise download ImageNet weights);
  - OpenCV (`opencv-python-headless`, pip) must be installed: its G-Cutout calls `cv2.findContours` in every step;
  - the unsupervised weight is a constant 30 (its `consistency_weight` ramp, past the ramp-up), its optimizer SGD with
    its two parameter groups (backbone at lr/10), as its trainer builds them.

`--against DIR` runs another checkout's cct_nb (a git worktree of an older commit, say) interleaved with this one, for a
regression check of a refactoring: the ratios `semi_against_over_this` and `sup_against_over_this` (> 1: this checkout is faster).

Run from the project root:
    .venv/bin/python -m benchmarks.train_step --official ~/src/CCT --rounds 2      (about an hour on an idle 2-core machine)
    .venv/bin/python -m benchmarks.train_step --sizes 160 --options fp32           (cct_nb alone, minutes)
Writes benchmarks/results/speed/train_step.json with a markdown table (`table_markdown`) that the README and
experiments/speed.ipynb print.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.train_step')
import argparse, json, os, statistics, subprocess, sys, time, types
from pathlib import Path
from benchmarks.records import timed, machine, git_commit

STEPS = {'cct_nb': ('sup', 'semi', 'semi_straight', 'decoders'), 'official': ('sup', 'semi')}
OPTIONS = ('fp32', 'channels_last', 'bf16', 'compile')
OFFICIAL_LOSSES_COMMIT = 'ef938b5'
TARGETS = {'semi_speedup_320': 1.5, 'semi_over_sup': 2.1, 'semi_rss_ratio': 0.5}   # issue 33's goals

def status_mib(key):
    "A `Vm...` line of /proc/self/status in MiB."
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'): return int(line.split()[1]) / 1024
    return float('nan')

def inputs(size, seed, n_classes=21, batch=2):
    "Labeled and unlabeled images and labels, the same for every configuration of a run."
    import torch
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 3, size, size, generator=g), torch.randn(batch, 3, size, size, generator=g),
            torch.randint(0, n_classes, (batch, size, size), generator=g))

def cct_nb_model(step, a):
    "cct_nb's network and a function of the loss, for `step` (sup, semi or semi_straight)."
    from cct_nb.data import DATASETS
    from cct_nb.model import segmentation_net
    from cct_nb.losses import supervised_ce
    from cct_nb.train import cct_model, CCTLoss
    info = DATASETS['voc']
    if step == 'sup':
        model = segmentation_net(info.n_classes, a.arch, z_channels=a.z_channels).train()
        return model, lambda xl, xu, y: supervised_ce(model(xl), y)
    model = cct_model(info, a.arch, z_channels=a.z_channels, perturbations='cct', fused=(step == 'semi')).train()
    lf = CCTLoss(info.n_classes, info.ignore_index, unsup_loss='mse'); lf.w_u = 30.
    return model, lambda xl, xu, y: lf(model(xl, xu), y)

def import_official(path):
    "The official code's `CCT` and `CE_loss` from the clone at `path`, with the stubs listed in the docstring."
    path = Path(path).expanduser().resolve()
    if not (path / 'models' / 'model.py').is_file(): raise SystemExit(f"--official {path}: no models/model.py there (a clone of github.com/yassouali/CCT?)")
    for name in ('torch.utils.tensorboard', 'dominate', 'dominate.tags'):
        stub = types.ModuleType(name); stub.SummaryWriter = object
        sys.modules[name] = stub
    sys.path.insert(0, str(path))
    try: import utils.losses   # noqa: F401
    except (TabError, IndentationError, SyntaxError) as e:
        raise SystemExit(f"--official {path}: {path / 'utils' / 'losses.py'} does not import ({type(e).__name__}: {e}); the file of commit "
                         f"{OFFICIAL_LOSSES_COMMIT} does: git -C {path} checkout {OFFICIAL_LOSSES_COMMIT} -- utils/losses.py")
    try: import cv2   # noqa: F401
    except ImportError: raise SystemExit("--official: the official G-Cutout needs OpenCV: pip install opencv-python-headless")
    from models.model import CCT
    from utils.losses import CE_loss
    return CCT, CE_loss, json.loads((path / 'configs' / 'config.json').read_text())['model']

def official_model(step, a):
    "The official network in its 'supervised' or 'semi' mode and a function of its loss."
    CCT, CE_loss, conf = import_official(a.official)
    conf = dict(conf, supervised=(step == 'sup'), semi=(step == 'semi'))
    model = CCT(num_classes=21, conf=conf, sup_loss=CE_loss, cons_w_unsup=lambda epoch, curr_iter: 30., ignore_index=255, pretrained=None).train()
    def loss(xl, xu, y):
        total, _, _ = model(x_l=xl, target_l=y, x_ul=xu if step == 'semi' else None, curr_iter=0, epoch=0)
        return total.mean()
    return model, loss

def optimizer(model, impl):
    "SGD as each implementation trains: the official trainer's two groups (backbone at lr/10), one group for cct_nb (the same work)."
    import torch
    groups = ([{'params': model.get_other_params()}, {'params': model.get_backbone_params(), 'lr': 1e-3}] if impl == 'official'
              else model.parameters())
    return torch.optim.SGD(groups, lr=0.01, momentum=0.9, weight_decay=1e-4)

def build_step(impl, step, option, a):
    "A function running one training step of (`impl`, `step`) with speed `option`, and the time its build took."
    import torch
    t0 = time.perf_counter()
    torch.manual_seed(a.seed)
    model, loss = (official_model if impl == 'official' else cct_nb_model)(step, a)
    xl, xu, y = inputs(a.size, a.seed)
    if option == 'channels_last':
        model = model.to(memory_format=torch.channels_last)
        xl, xu = (t.contiguous(memory_format=torch.channels_last) for t in (xl, xu))
    if option == 'compile': model.encoder.compile()
    opt = optimizer(model, impl)
    def run():
        opt.zero_grad()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=(option == 'bf16')): L = loss(xl, xu, y)
        L.backward(); opt.step()
    return run, time.perf_counter() - t0

def child_step(impl, step, option, a):
    "Build, warm up, measure: the timings, the first steps' extra time (compilation) and the peak memory."
    run, build_s = build_step(impl, step, option, a)
    first = [timed(run) for _ in range(a.warmup)]
    wall, cpu = zip(*[timed(run) for _ in range(a.steps)])
    med = statistics.median(wall)
    out = dict(wall_s=list(wall), cpu_s=list(cpu), median_s=med, median_cpu_s=statistics.median(cpu), build_s=build_s,
               warmup_s=[w for w, _ in first], peak_rss_mib=status_mib('VmHWM'))
    if option == 'compile': out['compile_s'] = max(0., sum(w for w, _ in first) - med * len(first))
    return out

def child_decoders(a):
    "The auxiliary part alone: one main decoder against the 30 auxiliary decoders with their losses, lean and straightforward."
    import torch, torch.nn.functional as F
    from cct_nb.model import Decoder
    from cct_nb.perturbations import AuxiliaryDecoders
    from cct_nb.losses import unsupervised_loss
    from cct_nb.lean import aux_consistency
    torch.manual_seed(a.seed)
    z = torch.randn(2, a.z_channels, a.size // 8, a.size // 8).relu_().requires_grad_()
    main, aux = Decoder(a.z_channels, 21), AuxiliaryDecoders(a.z_channels, 21, 'cct', stuff=(0,))
    with torch.no_grad(): ml = main(z)
    p = F.softmax(ml, 1)
    runs = {'main': lambda: main(z).sum().backward(),
            'aux_lean': lambda: aux_consistency(aux, z, ml, p, distance='mse').backward(),
            'aux_straight': lambda: unsupervised_loss(ml, aux(z, ml), 'mse').backward()}
    def run(k):
        runs[k](); z.grad = None
        for q in (*main.parameters(), *aux.parameters()): q.grad = None
    for k in runs:
        for _ in range(a.warmup): run(k)
    times = {k: [] for k in runs}
    for _ in range(a.steps):
        for k in runs: times[k].append(timed(lambda: run(k)))
    out = {k: dict(median_s=statistics.median(w for w, _ in v), wall_s=[w for w, _ in v]) for k, v in times.items()}
    for k in ('aux_lean', 'aux_straight'): out[k]['x_main'] = statistics.median(x[0] / y[0] for x, y in zip(times[k], times['main']))
    return out

def child_command(impl:str, a) -> tuple: # 'cct_nb', 'official' or 'against'
    "(command, working folder, extra environment) of a child: this checkout, or for `against` the other checkout's own benchmark and library."
    if impl != 'against': return [sys.executable, '-m', 'benchmarks.train_step'], Path(__file__).resolve().parents[1], {}
    d = Path(a.against).resolve()
    cmd = [sys.executable, '-m', 'benchmarks.train_step'] if (d / 'benchmarks' / '__init__.py').is_file() else [sys.executable, str(d / 'benchmarks' / 'train_step.py')]
    return cmd, d, {'PYTHONPATH': str(d)}   # its cct_nb before the installed one

def run_child(impl, step, size, option, a):
    "One configuration in its own process; its JSON result."
    head, cwd, extra = child_command(impl, a)
    cmd = head + ['--child', f"{'cct_nb' if impl == 'against' else impl}:{step}", '--size', str(size), '--option', option, '--steps', str(a.steps),
           '--warmup', str(a.warmup + (1 if option == 'compile' else 0)), '--threads', str(a.threads), '--seed', str(a.seed),
           '--arch', a.arch, '--z-channels', str(a.z_channels)] + (['--official', str(a.official)] if a.official else [])
    env = os.environ | {'OMP_NUM_THREADS': str(a.threads), 'MKL_NUM_THREADS': str(a.threads)} | extra
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)   # a repository root: its `benchmarks` importable
    if r.returncode != 0: raise RuntimeError(f"{impl}:{step} at {size}, {option}: the child failed\n{r.stderr[-3000:]}{r.stdout[-500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def configurations(a):
    "(impl, step, size, option) in the order of one round: for each size and option, the implementations' steps in turn."
    impls = ['cct_nb'] + (['official'] if a.official else []) + (['against'] if a.against else [])
    out = []
    for s in a.sizes:
        for o in a.options:
            for step in ('sup', 'semi'):
                out += [(i, step, s, o) for i in impls]
            if o == 'fp32' and not a.no_extras: out += [('cct_nb', 'semi_straight', s, o), ('cct_nb', 'decoders', s, o)]
    return out

def median_ratio(xs, ys, key='median_s'):
    "The median over rounds of x / y."
    return statistics.median(x[key] / y[key] for x, y in zip(xs, ys))

def summarise(raw, a):
    "Per size and option: each configuration's medians over rounds, and the ratios the issue asks for."
    res = {}
    for (impl, step, s, o), runs in raw.items():
        r = res.setdefault(str(s), {}).setdefault(o, {})
        if step == 'decoders': r['cct_nb:decoders'] = runs[0]; continue
        wall = [t for x in runs for t in x['wall_s']]
        r[f'{impl}:{step}'] = dict(median_s=statistics.median(wall), wall_s=wall, peak_rss_mib=max(x['peak_rss_mib'] for x in runs),
                                   rounds=[x['median_s'] for x in runs], build_s=runs[0]['build_s'],
                                   **({'compile_s': statistics.median(x['compile_s'] for x in runs)} if o == 'compile' else {}))
    for s, by_o in res.items():
        for o, r in by_o.items():
            q, k = {}, lambda impl, step: raw.get((impl, step, int(s), o))
            for impl in ('cct_nb', 'official'):
                if k(impl, 'semi') and k(impl, 'sup'): q[f'{impl}_semi_over_sup'] = median_ratio(k(impl, 'semi'), k(impl, 'sup'))
            if k('cct_nb', 'semi_straight'): q['cct_nb_semi_straight_over_lean'] = median_ratio(k('cct_nb', 'semi_straight'), k('cct_nb', 'semi'))
            for step in ('semi', 'sup'):
                if k('official', step): q[f'{step}_speedup'] = median_ratio(k('official', step), k('cct_nb', step))   # official / cct_nb
            if k('official', 'semi'): q['semi_rss_ratio'] = r['cct_nb:semi']['peak_rss_mib'] / r['official:semi']['peak_rss_mib']
            for step in ('semi', 'sup'):      # this checkout against another one (`--against`): > 1 when this one is faster
                if k('against', step): q[f'{step}_against_over_this'] = median_ratio(k('against', step), k('cct_nb', step))
            if o != 'fp32' and 'fp32' in by_o:
                for impl in ('cct_nb', 'official'):
                    if k(impl, 'semi'): q[f'{impl}_semi_speedup_over_fp32'] = by_o['fp32'][f'{impl}:semi']['median_s'] / r[f'{impl}:semi']['median_s']
            if o == 'compile':
                for impl in ('cct_nb', 'official'):
                    c, f = r.get(f'{impl}:semi'), by_o.get('fp32', {}).get(f'{impl}:semi')
                    if c and f and f['median_s'] > c['median_s']: q[f'{impl}_compile_paid_back_after_steps'] = c['compile_s'] / (f['median_s'] - c['median_s'])
            r['ratios'] = q
    return res

def targets(res):
    "The issue's goals, where this run measured them."
    t = {}
    r = res.get('320', {}).get('fp32', {}).get('ratios', {})
    if 'semi_speedup' in r: t['semi_speedup_320_fp32'] = dict(value=r['semi_speedup'], target=TARGETS['semi_speedup_320'], met=r['semi_speedup'] >= TARGETS['semi_speedup_320'])
    if 'semi_rss_ratio' in r: t['semi_rss_ratio_320'] = dict(value=r['semi_rss_ratio'], target=TARGETS['semi_rss_ratio'], met=r['semi_rss_ratio'] <= TARGETS['semi_rss_ratio'])
    for s, by_o in res.items():
        for o, rr in by_o.items():
            v = rr.get('ratios', {}).get('cct_nb_semi_over_sup')
            if v is not None: t[f'semi_over_sup_{s}_{o}'] = dict(value=v, target=TARGETS['semi_over_sup'], met=v <= TARGETS['semi_over_sup'])
    best = [(rr['ratios']['semi_speedup'], o) for o, rr in res.get('320', {}).items() if 'semi_speedup' in rr.get('ratios', {})]
    if best: v, o = max(best); t['semi_speedup_320_best_option'] = dict(value=v, option=o, target=TARGETS['semi_speedup_320'], met=v >= TARGETS['semi_speedup_320'])
    return t

def fmt_table(res):
    "Markdown: one row per (size, option): step times of both implementations, the speed-ups, semi / sup and the peak memory."
    head = ('| size | option | semi, official (s) | semi, cct_nb (s) | speed-up | sup, official (s) | sup, cct_nb (s) | speed-up '
            '| semi / sup, cct_nb | semi peak RSS, official / cct_nb (MiB) |')
    lines = [head, '|' + '---|' * 10]
    f = lambda r, k, fmt='{:.2f}': fmt.format(r[k]['median_s']) if k in r else '—'
    for s, by_o in sorted(res.items(), key=lambda kv: int(kv[0])):
        for o, r in by_o.items():
            q = r.get('ratios', {})
            g = lambda key, fmt='{:.2f}': fmt.format(q[key]) if key in q else '—'
            rss = (f"{r['official:semi']['peak_rss_mib']:.0f} / {r['cct_nb:semi']['peak_rss_mib']:.0f}" if 'official:semi' in r
                   else f"— / {r['cct_nb:semi']['peak_rss_mib']:.0f}" if 'cct_nb:semi' in r else '—')
            lines.append(f"| {s}² | {o} | {f(r, 'official:semi')} | {f(r, 'cct_nb:semi')} | {g('semi_speedup', '{:.2f}×')} | {f(r, 'official:sup')} "
                         f"| {f(r, 'cct_nb:sup')} | {g('sup_speedup', '{:.2f}×')} | {g('cct_nb_semi_over_sup')} | {rss} |")
    return '\n'.join(lines)

def _commit_of(d) -> str:
    "HEAD of the checkout `d` (' (modified)' when its tracked files differ)."
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=d, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=d, capture_output=True, text=True).stdout.strip()
    return head + (' (modified)' if dirty else '')

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--official', default=None, help='a clone of github.com/yassouali/CCT (never part of this repository)')
    p.add_argument('--against', default=None, help="another checkout of this repository (e.g. a git worktree of an older commit): its cct_nb's sup and semi steps run interleaved with this one's")
    p.add_argument('--sizes', default='160,320', help='input sides, multiples of 8')
    p.add_argument('--options', default=','.join(OPTIONS), help=f'speed options, any of {OPTIONS}')
    p.add_argument('--steps', type=int, default=5, help='measured steps per configuration, after the warm-up')
    p.add_argument('--warmup', type=int, default=1, help='warm-up steps (one more with compile)')
    p.add_argument('--rounds', type=int, default=1, help='run every configuration this many times, in turn')
    p.add_argument('--threads', type=int, default=2, help='torch threads')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--arch', default='resnet50', help="cct_nb's backbone (the official code's is always ResNet-50): a tiny run for tests uses resnet18")
    p.add_argument('--z-channels', dest='z_channels', type=int, default=512, help="cct_nb's z channels (the official code's: 512)")
    p.add_argument('--no-extras', action='store_true', help='leave out the straightforward step and the decoders part')
    p.add_argument('--out', default='benchmarks/results/speed/train_step.json')
    p.add_argument('--child', help=argparse.SUPPRESS); p.add_argument('--size', type=int, help=argparse.SUPPRESS)
    p.add_argument('--option', default='fp32', help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child: return a
    a.sizes, a.options = [int(s) for s in a.sizes.split(',')], [o.strip() for o in a.options.split(',')]
    bad = [o for o in a.options if o not in OPTIONS] + [s for s in a.sizes if s % 8]
    if bad: p.error(f'{bad}: --options must be among {OPTIONS}, --sizes multiples of 8')
    if a.steps < 1 or a.warmup < 0 or a.rounds < 1: p.error('--steps and --rounds must be >= 1, --warmup >= 0')
    if a.official and not Path(a.official).expanduser().is_dir(): p.error(f'--official {a.official}: no such folder')
    if a.against and not (Path(a.against) / 'cct_nb' / 'lean.py').is_file(): p.error(f'--against {a.against}: not a checkout of cct_nb')
    if a.official and a.arch != 'resnet50': p.error('--official compares the paper setting: --arch must be resnet50')
    return a

def main(argv=None):
    a = parse(argv)
    if a.child:
        import torch
        torch.set_num_threads(a.threads)
        impl, step = a.child.split(':')
        res = child_decoders(a) if step == 'decoders' else child_step(impl, step, a.option, a)
        res['torch_threads'] = torch.get_num_threads()
        print(json.dumps(res)); return
    load0, t0, raw = os.getloadavg(), time.time(), {}
    for r in range(a.rounds):
        for impl, step, s, o in configurations(a):
            res = run_child(impl, step, s, o, a)
            raw.setdefault((impl, step, s, o), []).append(res)
            m = res['median_s'] if 'median_s' in res else res['aux_lean']['median_s']
            print(f"round {r} {s}² {o:13s} {impl}:{step}: median {m:.3f} s" + (f", peak RSS {res['peak_rss_mib']:.0f} MiB" if 'peak_rss_mib' in res else '')
                  + (f", compile {res['compile_s']:.0f} s" if 'compile_s' in res else ''), flush=True)
    results = summarise(raw, a)
    out = dict(issue=33, commit=git_commit(), command=' '.join(['python', '-m', 'benchmarks.train_step', *(sys.argv[1:] if argv is None else argv)]), seed=a.seed,
               setting=dict(arch=f'{a.arch} (output stride 8) + PSP, random init', z_channels=a.z_channels, classes=21, perturbations='Table 12: 30 decoders',
                            unsup_loss='mse', w_u=30., batch='2 labeled + 2 unlabeled', optimizer='SGD lr 0.01 momentum 0.9 wd 1e-4',
                            steps=a.steps, warmup=a.warmup, rounds=a.rounds, sizes=a.sizes, options=a.options),
               official=dict(dir=str(a.official), losses_commit=OFFICIAL_LOSSES_COMMIT, stubs=['torch.utils.tensorboard', 'dominate'],
                             pretrained=None, needs='opencv-python-headless') if a.official else None,
               against=dict(dir=str(a.against), commit=_commit_of(a.against)) if a.against else None,
               machine=machine() | dict(torch_threads=a.threads, loadavg_start=load0, loadavg_end=os.getloadavg()),
               time_method='wall-clock median of the measured steps (all rounds); ratios: median over rounds of per-round ratios of medians',
               memory_method="peak_rss_mib: VmHWM of the configuration's own process (model, imports and data included)",
               results=results, targets=targets(results), seconds=round(time.time() - t0, 1))
    out['table_markdown'] = fmt_table(results)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(out['table_markdown']); print(json.dumps(out['targets'], indent=1))
    if a.against: print(json.dumps({f'{s}² {o}': {k: v for k, v in rr['ratios'].items() if 'against' in k} for s, by_o in results.items() for o, rr in by_o.items()}, indent=1))
    return out

if __name__ == '__main__': main()
