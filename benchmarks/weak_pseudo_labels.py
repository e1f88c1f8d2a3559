"""Quality of the weak-label pipeline (§3.3, Appendix N): CAM pseudo-labels before and after the dense CRF, against the true masks.

The classification branch g_c (GAP + linear on the shared encoder, from scratch) is trained with BCE on the image-level
labels of the labeled and unlabeled training images, then CAM pseudo-labels (theta_bg 0.05, theta_fg 0.30) are made for every
unlabeled training image, with each reading of "background" ('ignore': no background class; 'stuff': the dataset's stuff
classes), raw and after the CRF. Coverage = share of non-void pixels that get a label, precision = share of labelled pixels
that are right, pooled over all pixels (`evaluate_pseudo_labels`). Writes JSON (and a Fig. 9 PNG next to it).

Usage (the figures of experiments/weak.ipynb):
  OMP_NUM_THREADS=1 python -m benchmarks.weak_pseudo_labels --dataset camvid --data-dir $CCT_NB_CAMVID \
      --out benchmarks/results/weak/camvid_pseudo_labels.json
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.weak_pseudo_labels')
import argparse, json, sys, tempfile, time
from pathlib import Path
import torch
from fastai.torch_core import set_seed
from benchmarks.records import machine
from cct_nb.data import segmentation_dls, seg_dataset, DATASETS
from cct_nb.model import Encoder
from cct_nb.weak import image_labels, class_activation_maps
from cct_nb.pseudo_labels import pretrain_classifier, image_label_dls, make_pseudo_labels, evaluate_pseudo_labels, show_pseudo_labels

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='camvid', choices=['camvid', 'scenes'])
    ap.add_argument('--data-dir', default=None, help='the dataset folder (scenes: generated when omitted)')
    ap.add_argument('--n-labeled', type=int, default=37, help='images with masks; the rest get pseudo-labels')
    ap.add_argument('--size', type=int, nargs=2, default=[180, 240], help='H W (CamVid is resized, §4.3)')
    ap.add_argument('--epochs', type=int, default=4, help='epochs of the classification branch')
    ap.add_argument('--min-pixels', type=int, default=50, help='a class is present in an image from this many pixels')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--pretrained', default=None, help='a local torchvision ResNet-18 state_dict for the backbone (never downloads)')
    ap.add_argument('--workers', type=int, default=1, help='CRF worker processes (0: in this process)')
    ap.add_argument('--out', required=True); ap.add_argument('--overwrite', action='store_true')
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists() and not a.overwrite: sys.exit(f"error: {out} exists; pass --overwrite")
    if a.dataset == 'camvid' and a.data_dir is None: sys.exit("error: --data-dir is required for --dataset camvid")
    info = DATASETS[a.dataset]; size = tuple(a.size) if a.dataset == 'camvid' else None
    t0 = time.time(); set_seed(a.seed)
    data = segmentation_dls(a.dataset, a.data_dir, n_labeled=a.n_labeled, bs=8, size=size, seed=a.seed)
    clf = pretrain_classifier(Encoder('resnet18', a.pretrained or False, 256), image_label_dls(data, min_pixels=a.min_pixels), epochs=a.epochs,
                              lr=0.01, backbone_div=1)
    t_clf = time.time() - t0
    valid_bce, acc = (float(v) for v in clf.recorder.values[-1][1:3])
    root = a.data_dir
    if a.dataset == 'scenes':
        from cct_nb.scenes import write_scenes
        root = write_scenes()
    ds = seg_dataset(a.dataset, root, train=False, size=size, items=data.unlabeled_items)
    labs = torch.stack([image_labels(ds[i][1], info.n_classes, info.ignore_index, a.min_pixels) for i in range(len(ds))])
    rows, tmp = [], Path(tempfile.mkdtemp())
    for name, bg in (('ignore', None), ('stuff', info.stuff)):
        t = time.time()
        make_pseudo_labels(clf.model.encoder, clf.model.head, ds, tmp / name, min_pixels=a.min_pixels, background=bg, n_workers=a.workers)
        q = evaluate_pseudo_labels(tmp / name, ds)
        rows.append({'background': name, 'background_classes': [info.classes[c] for c in (bg or ())],
                     'raw': q['raw'], 'crf': q['crf'], 'seconds': round(time.time() - t, 1)})
        print(f"background={name}: raw coverage {q['raw']['coverage']:.3f} precision {q['raw']['precision']:.3f}; "
              f"after CRF coverage {q['crf']['coverage']:.3f} precision {q['crf']['precision']:.3f}", flush=True)
    idx = (0, 1, 2)
    x = torch.stack([ds[i][0] for i in idx])
    cams = class_activation_maps(clf.model.encoder, clf.model.head, x, labs[list(idx)])
    png = out.with_suffix('.png'); out.parent.mkdir(parents=True, exist_ok=True)
    show_pseudo_labels(ds, cams, tmp / 'stuff', idx, fname=png)
    res = {'benchmark': 'weak_pseudo_labels', 'dataset': a.dataset, 'n_images': len(ds), 'n_labeled': a.n_labeled,
           'size': list(size) if size else None, 'seed': a.seed, 'min_pixels': a.min_pixels,
           'classifier': {'arch': 'resnet18', 'pretrained': a.pretrained, 'z_channels': 256, 'feature': 'z', 'epochs': a.epochs,
                          'valid_bce': valid_bce, 'accuracy_multi': acc, 'seconds': round(t_clf, 1)},
           'share_of_images_with_class': dict(zip(info.classes, labs.float().mean(0).round(decimals=3).tolist())),
           'thresholds': {'theta_bg': 0.05, 'theta_fg': 0.30}, 'crf': 'defaults (10 iterations, sxy 3 / compat 3, sxy 50 / srgb 5 / compat 10)',
           'rows': rows, 'figure': png.name, 'wall_seconds': round(time.time() - t0, 1),
           'command': ' '.join(['python'] + sys.argv), 'machine': machine()}
    out.write_text(json.dumps(res, indent=1))
    print('->', out, png)

if __name__ == '__main__': main()
