"""The grid of z against its cost: what a larger feature grid for CCT's perturbations would cost on this CPU.

Issue 35's audit found most of CCT's spatial perturbations near no-ops at the over-fit regime's grid of z, 12x16 cells
(96x128 input, ResNet-18 at output stride 8): things cover a few cells. The lever the issue names is an encoder that is
cheaper per cell: a ResNet at output stride 16 on a larger input, or a torchvision MobileNetV3 (`dilated=True`: output
stride 16). For each candidate backbone (random weights; no PSP and no decoder, which cost the same for every candidate
at one grid) and input size, one process measures:
  grid     the cells of the backbone's output: the grid of z that the decoders and the perturbations see
  gflops   forward floating-point operations per image (torch's FlopCounterMode: a property of the network; its count of
           the backward is not used, since it ignores the groups of MobileNet's depthwise convolutions and counts them
           as dense, about 60 times too many)
  seconds  wall time of one forward + backward of a batch of `--bs` images (train mode), the median over `--steps` steps
           after a warm-up step; the candidates run in turn, `--rounds` times, so a change of load hits them alike
and each one's ratio to the regime's own backbone (resnet18 at output stride 8 on 96x128), measured in the same run.
Usage, from the project root on an otherwise idle machine:
    python -m benchmarks.encoder_grid --out benchmarks/results/speed/encoder_grid.json
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.encoder_grid')
import json, statistics, sys, time
from pathlib import Path
import torch, torch.nn as nn, torchvision
from torch.utils.flop_counter import FlopCounterMode
from benchmarks.records import parser, machine, git_commit, timed
from cct_nb.model import dilate_resnet_

RESNET_DILATIONS = {8: (2, 4), 16: (None, 2), 32: (None, None)}   # output stride: dilations of layer3, layer4
CANDIDATES = (  # (backbone, output stride, input H, W): the regime's first, then the same 12x16 grid, then a 24x32 grid
    ('resnet18', 8, (96, 128)),
    ('resnet18', 16, (192, 256)), ('resnet18', 32, (384, 512)), ('mobilenet_v3_large', 16, (192, 256)),
    ('resnet18', 8, (192, 256)), ('resnet18', 16, (384, 512)), ('mobilenet_v3_large', 16, (384, 512)),
)

def backbone_at(name:str, # resnet18 or mobilenet_v3_large
                output_stride:int) -> nn.Module: # 8, 16 or 32 for resnet18; 16 for mobilenet_v3_large
    "The candidate's feature extractor from random weights: images in, the features z would be computed from out."
    if name == 'resnet18':
        if output_stride not in RESNET_DILATIONS: raise ValueError(f"resnet18: output stride {output_stride} not in {sorted(RESNET_DILATIONS)}")
        n = dilate_resnet_(torchvision.models.resnet18(), RESNET_DILATIONS[output_stride])
        return nn.Sequential(n.conv1, n.bn1, n.relu, n.maxpool, n.layer1, n.layer2, n.layer3, n.layer4)
    if name == 'mobilenet_v3_large':
        if output_stride != 16: raise ValueError('mobilenet_v3_large: torchvision dilates it to output stride 16 only')
        return torchvision.models.mobilenet_v3_large(dilated=True).features
    raise ValueError(f"unknown backbone {name!r}")

def train_step(net:nn.Module, x:torch.Tensor): # the backbone; a batch of images
    "One forward + backward (a stand-in loss on the features), gradients cleared first."
    net.zero_grad(set_to_none=True)
    net(x).square().mean().backward()

def gflops_per_image(net:nn.Module, size) -> float: # the backbone; (H, W)
    "Forward GFLOPs of one image."
    with FlopCounterMode(display=False) as fc, torch.no_grad(): net(torch.randn(1, 3, *size))
    return fc.get_total_flops() / 1e9

def main():
    ap = parser(__doc__)
    ap.add_argument('--bs', type=int, default=8); ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--rounds', type=int, default=2); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', required=True, help='the JSON record to write')
    ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: --out {out} exists; --overwrite replaces it")
    for k in ('bs', 'steps', 'rounds', 'threads'):
        if getattr(a, k) < 1: sys.exit(f"error: --{k} must be at least 1")
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    nets = [backbone_at(name, os_).train() for name, os_, _ in CANDIDATES]
    rows = []
    for (name, os_, size), net in zip(CANDIDATES, nets):
        with torch.no_grad(): grid = tuple(net.eval()(torch.zeros(1, 3, *size)).shape[-2:])
        if grid != (size[0] // os_, size[1] // os_): sys.exit(f"error: {name} at output stride {os_} gave a {grid} grid for {size}")
        rows.append({'backbone': name, 'output_stride': os_, 'size': list(size), 'grid': list(grid),
                     'gflops': round(gflops_per_image(net, size), 2), 'seconds_rounds': []})
        net.train()
    for _ in range(a.rounds):
        for row, net in zip(rows, nets):
            x = torch.randn(a.bs, 3, *row['size'])
            train_step(net, x)                                                          # warm-up
            row['seconds_rounds'].append(statistics.median(timed(lambda: train_step(net, x))[0] for _ in range(a.steps)))
    ref = rows[0]
    for r in rows:
        r['seconds'] = round(statistics.median(r['seconds_rounds']), 3)
        r['seconds_rounds'] = [round(s, 3) for s in r['seconds_rounds']]
    for r in rows: r |= {'gflops_ratio': round(r['gflops'] / ref['gflops'], 2), 'seconds_ratio': round(r['seconds'] / ref['seconds'], 2)}
    rec = {'benchmark': 'encoder_grid', 'bs': a.bs, 'steps': a.steps, 'rounds': a.rounds, 'seed': 0, 'rows': rows,
           'machine': machine(), 'commit': git_commit(), 'date': time.strftime('%Y-%m-%d'),
           'command': ' '.join(['python -m benchmarks.encoder_grid'] + sys.argv[1:])}
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(rec, indent=1))
    print(table(rec))

def table(rec:dict) -> str: # an encoder_grid record
    "The record as a text table, one candidate a line."
    lines = [f"{'backbone':20} {'OS':>3} {'input':>9} {'grid':>7} {'GFLOPs':>7} {'x':>5} {'s/step':>7} {'x':>5}"]
    for r in rec['rows']:
        lines.append(f"{r['backbone']:20} {r['output_stride']:>3} {'x'.join(map(str, r['size'])):>9} {'x'.join(map(str, r['grid'])):>7} "
                     f"{r['gflops']:>7.2f} {r['gflops_ratio']:>5.2f} {r['seconds']:>7.3f} {r['seconds_ratio']:>5.2f}")
    return '\n'.join(lines)

if __name__ == '__main__': main()
