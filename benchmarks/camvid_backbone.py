"""A CPU stand-in for ImageNet pretraining: a ResNet backbone trained by supervised segmentation on CamVid's 367 training
images, saved as a torchvision state_dict that `--pretrained FILE` (and `--set pretrained=FILE`) loads.

The paper's encoder starts from ImageNet weights (§4.1); offline here, the closest we have is another dataset's labels.
The backbone then starts CCT and the baseline alike on the scenes (disjoint classes, synthetic images), at lr/10 as the
paper's pretrained backbone. Writes the weights and a JSON record next to them.
Usage: OMP_NUM_THREADS=1 python -m benchmarks.camvid_backbone --data-dir $CCT_NB_CAMVID --out runs/camvid_backbone
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.camvid_backbone')
import argparse, json, sys, time
from pathlib import Path
import torch
from benchmarks.records import machine
from cct_nb.run import train_run

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data-dir', required=True, help='the CamVid folder')
    ap.add_argument('--arch', default='resnet18'); ap.add_argument('--epochs', type=int, default=8)
    ap.add_argument('--size', default='96,128'); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', required=True, help='run folder; the backbone is written as OUT/backbone.pth')
    ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out); t0 = time.time()
    m = train_run(out, 'baseline', 'camvid', a.data_dir, overwrite=a.overwrite, quiet=True, n_labeled=367, epochs=a.epochs,
                  arch=a.arch, size=a.size, seed=a.seed)
    ck = torch.load(out / 'model.pth', map_location='cpu', weights_only=True)
    pre = 'encoder.backbone.'
    state = {k[len(pre):]: v for k, v in ck['model'].items() if k.startswith(pre)}
    if not state: sys.exit(f"error: {out / 'model.pth'} has no '{pre}*' weights")
    torch.save(state, out / 'backbone.pth')
    rec = {'benchmark': 'camvid_backbone', 'arch': a.arch, 'epochs': a.epochs, 'size': a.size, 'seed': a.seed,
           'camvid_val_miou': m['miou'], 'tensors': len(state), 'seconds': round(time.time() - t0, 1),
           'command': ' '.join(['python'] + sys.argv), 'machine': machine()}
    (out / 'backbone.json').write_text(json.dumps(rec, indent=1))
    print(f"CamVid val mIoU {100 * m['miou']:.1f}; wrote {out / 'backbone.pth'} ({len(state)} tensors)")

if __name__ == '__main__': main()
