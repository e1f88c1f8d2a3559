"""Issue 3: Table 13 of the paper on this CPU, the cost of the auxiliary decoders.

Forward + backward time and peak memory of the main decoder (`cct_nb.model.Decoder`) and of one auxiliary decoder
of each perturbation type (perturbation included, `AuxiliaryDecoders(..., {name: 1})`), for a 512-channel z,
batch 8, at 12x12, 32x16 (the paper's 96x96 and 256x128 inputs) and 40x40; and of the 30 CCT decoders together,
batched (`AuxiliaryDecoders(..., 'cct')`) and as a naive Python loop over 30 `Decoder`s and perturbation modules.

Run from the project root:  .venv/bin/python -m benchmarks.aux_decoders [--threads 2] [--repeats 5]
Writes benchmarks/results/speed/aux_decoders.json (with a markdown table the notebook prints).

Time: median over `--repeats` of one forward + backward step (z requires grad, as the encoder output does), after
one warm-up step; all configurations of one size are interleaved in each repeat, so a change of load on a shared
machine hits them alike, and each ratio to the main decoder is the median of the per-repeat ratios.
Memory: peak of the bytes of live tensor storages created during one step (after a warm-up step), counted by a
TorchDispatchMode that sees every op's outputs, forward and backward, and a weakref finaliser on each storage.
Inputs, parameters and anything allocated before the step are not counted; gradients the step creates are. This is
the CPU analogue of the activation/workspace part of Table 13's GPU memory (which also includes the inputs and
the CUDA context): compare ratios, not megabytes.
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.aux_decoders')
import argparse, json, os, platform, sys, time, weakref
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from cct_nb.model import Decoder
from cct_nb.perturbations import AuxiliaryDecoders, PERTURBATIONS, CCT_PERTURBATIONS, PAPER_NAMES, make_perturbation
from cct_nb.scenes import make_scene

STUFF = (0, 1)  # the scenes' background classes (the main "prediction" is a scene mask, see `main_logits`)

def parse_size(s): h, w = s.lower().split('x'); return int(h), int(w)

def main_logits(b, n_classes, h, w, seed=0):
    "A realistic main prediction at input resolution: one-hot logits of `b` scene masks (objects on wall/floor)."
    masks = [torch.from_numpy(make_scene(seed + i, (8 * h, 8 * w))[1].astype(np.int64)) for i in range(b)]
    return F.one_hot(torch.stack(masks), n_classes).permute(0, 3, 1, 2).float()

class NaiveLoop(torch.nn.Module):
    "30 separate `Decoder`s, each with its own perturbation module, called one by one."
    def __init__(self, in_ch, n_classes, spec):
        super().__init__()
        self.names = [n for n, k in spec.items() for _ in range(k)]
        self.perts = torch.nn.ModuleList([make_perturbation(n, STUFF) for n in self.names])
        self.decs = torch.nn.ModuleList([Decoder(in_ch, n_classes) for _ in self.names])
    def forward(self, z, ml): return [d(p(z, ml, d)) for p, d in zip(self.perts, self.decs)]

def build(config, a, h, w):
    "(step function) for one configuration at one size: forward + backward of a sum of the outputs."
    torch.manual_seed(a.seed)
    z = torch.randn(a.batch, a.channels, h, w).relu_().requires_grad_()
    ml = main_logits(a.batch, a.classes, h, w, a.seed)
    if config == 'main':
        m = Decoder(a.channels, a.classes)
        def step(): m(z).sum().backward()
    elif config == 'all30_batched':
        m = AuxiliaryDecoders(a.channels, a.classes, 'cct', stuff=STUFF)
        def step(): sum(y.sum() for y in m.forward_groups(z, ml).values()).backward()
    elif config == 'all30_loop':
        m = NaiveLoop(a.channels, a.classes, CCT_PERTURBATIONS)
        def step(): sum(y.sum() for y in m(z, ml)).backward()
    else:
        m = AuxiliaryDecoders(a.channels, a.classes, {config: 1}, stuff=STUFF)
        def step(): sum(y.sum() for y in m.forward_groups(z, ml).values()).backward()
    def run():
        step(); z.grad = None
        for p in m.parameters(): p.grad = None
    return run

class PeakMemory(TorchDispatchMode):
    "Peak bytes of live CPU tensor storages created while the mode is active."
    def __init__(self): super().__init__(); self.live, self.cur, self.peak = {}, 0, 0
    def _free(self, key):
        n = self.live.pop(key, None)
        if n is not None: self.cur -= n
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.device.type == 'cpu':
                st = t.untyped_storage(); key = st.data_ptr()
                if key in self.live or st.nbytes() == 0: continue
                self.live[key] = st.nbytes(); self.cur += st.nbytes(); self.peak = max(self.peak, self.cur)
                weakref.finalize(st, self._free, key)
        return out

def measure_memory(config, a, h, w):
    "Peak MB of tensor storages created by one forward + backward step of `config`."
    run = build(config, a, h, w)
    run()                                                          # warm-up
    with PeakMemory() as pm: run()
    return pm.peak / 2**20

def time_configs(configs, a, h, w):
    runs = {c: build(c, a, h, w) for c in configs}
    for r in runs.values(): r()                                     # warm-up
    times = {c: [] for c in configs}
    for _ in range(a.repeats):
        for c, r in runs.items():
            t = time.perf_counter(); r(); times[c].append(time.perf_counter() - t)
    return times

def cpu_model():
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor()

def table(res, sizes):
    head = '| decoder | ' + ' | '.join(f'{s}: time ms (× main) | {s}: peak MB (× main)' for s in sizes) + ' |'
    lines = [head, '|' + '---|' * (1 + 2 * len(sizes))]
    rows = ['main'] + list(PERTURBATIONS) + ['all30_batched', 'all30_loop']
    label = {'main': 'Main decoder', 'all30_batched': 'all 30 (CCT), batched', 'all30_loop': 'all 30 (CCT), Python loop',
             **{k: PAPER_NAMES[k] for k in PERTURBATIONS}}
    for r in rows:
        cells = []
        for s in sizes:
            e = res[s].get(r)
            if e is None: cells += ['—', '—']; continue
            mem = '—' if e['peak_mb'] is None else f"{e['peak_mb']:.0f} ({e['peak_mb'] / res[s]['main']['peak_mb']:.1f}×)"
            cells += [f"{e['ms']:.1f} ({e['x_main']:.2f}×)", mem]
        lines.append(f'| {label[r]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--threads', type=int, default=min(os.cpu_count() or 1, 2))
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--sizes', default='12x12,32x16,40x40', help='feature sizes h x w')
    p.add_argument('--all30-sizes', default='12x12,32x16', help='sizes at which the 30 decoders are measured '
                   '(40x40 needs ~10 GB: 30 x 8 x 21 x 320 x 320 floats per tensor)')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--channels', type=int, default=512)
    p.add_argument('--classes', type=int, default=21, help='C (21: PASCAL VOC, as in Table 13)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--no-memory', action='store_true')
    p.add_argument('--out', default='benchmarks/results/speed/aux_decoders.json')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    sizes, big = a.sizes.split(','), set(a.all30_sizes.split(',')) if a.all30_sizes else set()
    load0, t0 = os.getloadavg(), time.time()
    res = {}
    for s in sizes:
        h, w = parse_size(s)
        configs = ['main'] + list(PERTURBATIONS) + (['all30_batched', 'all30_loop'] if s in big else [])
        times = time_configs(configs, a, h, w)
        res[s] = {}
        for c in configs:
            ratio = float(np.median(np.array(times[c]) / np.array(times['main'])))
            res[s][c] = dict(ms=1000 * float(np.median(times[c])), ms_all=[round(1000 * t, 2) for t in times[c]], x_main=ratio,
                             peak_mb=None if a.no_memory else measure_memory(c, a, h, w))
            print(s, c, f"{res[s][c]['ms']:.1f} ms ({ratio:.2f}x main)", res[s][c]['peak_mb'], flush=True)
    targets = {}
    for s in sizes:
        r = res[s]
        targets[s] = dict(non_vat_within_1_5x=all(r[c]['x_main'] <= 1.5 for c in PERTURBATIONS if c != 'vat'),
                          worst_non_vat=max((r[c]['x_main'], c) for c in PERTURBATIONS if c != 'vat'),
                          vat_within_4x=r['vat']['x_main'] <= 4, vat_x_main=r['vat']['x_main'])
        if 'all30_batched' in r:
            targets[s].update(all30_batched_x_main=r['all30_batched']['x_main'], all30_loop_x_main=r['all30_loop']['x_main'])
    out = dict(issue=3, command=' '.join([Path(sys.executable).name] + sys.argv), seed=a.seed,
               setting=dict(batch=a.batch, channels=a.channels, classes=a.classes, repeats=a.repeats, stuff=STUFF,
                            main_logits='one-hot scene masks (realistic objects for Obj-Msk/Con-Msk/G-Cutout)'),
               machine=dict(torch=torch.__version__, threads=torch.get_num_threads(), cpu=cpu_model(),
                            cpus=os.cpu_count(), python=platform.python_version(), loadavg_start=load0,
                            loadavg_end=os.getloadavg(), shared='the machine is shared with other jobs: expect noise'),
               time_method='median of repeats of one forward+backward step, configurations interleaved; x_main = median of per-repeat ratios',
               memory_method='peak bytes of live tensor storages created during one forward+backward step (TorchDispatchMode over every op + weakref finalisers on storages); inputs and parameters not counted',
               results=res, targets=targets, seconds=round(time.time() - t0, 1))
    out['table_markdown'] = table(res, sizes)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(out['table_markdown']); print(json.dumps(targets, indent=1))

if __name__ == '__main__': main()
