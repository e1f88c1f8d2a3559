"""Issue 5: the boundary ROC-AUC of the input-level and feature-level smoothness maps (§3.1, Fig. 2, App. D).

Run from the project root: `.venv/bin/python -m benchmarks.cluster [--camvid DIR]` (default: $CCT_NB_CAMVID).
Writes benchmarks/results/cluster/cluster.json. The scenes network is `cct_nb.learner.course_model()`; the CamVid
network is a ResNet-18 encoder fitted from random weights with `fit_briefly` (cached under the data root).
"""
if __name__ == '__main__' and not __package__: raise SystemExit('run it from the repository root as: python -m benchmarks.cluster')
import argparse, json, os, platform, sys, time
from pathlib import Path
import numpy as np, torch
from cct_nb.cluster import (boundary_auc_table, boundary_auc, input_smoothness, feature_smoothness, local_distance,
                            fit_briefly, torchvision_network, TORCHVISION_NETWORKS, format_auc_table)
from cct_nb.data import seg_dataset, image_to_tensor
from cct_nb.model import segmentation_net
from cct_nb.scenes import make_scene, SCENE_SPLITS, default_data_root
from benchmarks.records import add_camvid

def input_rows(pairs, patches, radius=2):
    out = {}
    for k in patches:
        a = [boundary_auc(input_smoothness(x, k), y, radius) for x, y in pairs]
        a = [v for v in a if not np.isnan(v)]
        out[f'input (patch {k})'] = dict(auc=float(np.mean(a)), std=float(np.std(a)), n=len(a))
    return out

def timings():
    img, z = torch.randn(1, 3, 360, 480), torch.randn(1, 256, 45, 60)
    res = {}
    for name, f in (('input_480x360_patch20_s', lambda: local_distance(img, patch=20)),
                    ('features_256ch_60x45_to_480x360_s', lambda: local_distance(z, size=(360, 480)))):
        f(); ts = []
        for _ in range(3):
            t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
        res[name] = round(min(ts), 4)
    net = segmentation_net(11, 'resnet18', z_channels=256).eval()
    with torch.no_grad():
        net.encoder.features(torch.randn(1, 3, 360, 480)); t = time.perf_counter(); net.encoder.features(torch.randn(1, 3, 360, 480))
    res['resnet18_features_480x360_s'] = round(time.perf_counter() - t, 4)
    return res

def main():
    p = argparse.ArgumentParser()
    add_camvid(p, '--camvid')
    p.add_argument('--camvid-iters', type=int, default=300)
    p.add_argument('--out', default='benchmarks/results/cluster/cluster.json')
    a = p.parse_args()
    res = dict(issue=5, torch=torch.__version__, threads=torch.get_num_threads(), machine=platform.machine(),
               boundary=dict(radius=2, margin=None), timings=timings())
    print(res['timings'], flush=True)
    layers = ('layer1', 'layer2', 'layer4', 'psp')
    # scenes
    t = time.time()
    from cct_nb.course import course_model
    torch.manual_seed(0)
    nets = {'untrained': segmentation_net(7, 'resnet18', z_channels=256).eval(), 'trained': course_model().eval()}
    pairs = []
    for i in range(100):
        img, mask = make_scene(SCENE_SPLITS['val'] + i, (96, 128))
        pairs.append((image_to_tensor(img), torch.from_numpy(mask.astype(np.int64))))
    tab = boundary_auc_table(pairs, nets, layers, patch=20)
    tab.update(input_rows(pairs, (1, 5, 10, 20)))
    tab_m = boundary_auc_table(pairs, nets, ('psp',), patch=20, radius=2, margin=6)
    tab_b = boundary_auc_table(pairs, nets, ('psp',), patch=20, radius=2, border=8)
    res['scenes'] = dict(images=len(pairs), size=[96, 128], patch=20, table=tab, table_margin6=tab_m, table_border8=tab_b,
                         seconds=round(time.time() - t, 1))
    print(format_auc_table(tab, 'scenes'), flush=True)
    # camvid
    root = Path(a.camvid) if a.camvid else None
    if root is None: print('CamVid part skipped: no --camvid and no $CCT_NB_CAMVID', flush=True)
    elif not root.is_dir(): sys.exit(f'error: --camvid {root} is not a folder')
    else:
        t = time.time()
        size = (180, 240)
        torch.manual_seed(0)
        cnets = {'untrained': segmentation_net(11, 'resnet18', z_channels=256).eval()}
        weights = default_data_root() / 'cluster' / f'camvid_resnet18_z256_it{a.camvid_iters}.pth'
        net = segmentation_net(11, 'resnet18', z_channels=256)
        if weights.is_file(): net.load_state_dict(torch.load(weights, map_location='cpu'))
        else:
            torch.manual_seed(0)
            fit_briefly(net, seg_dataset('camvid', root, 'train', size=size), iters=a.camvid_iters, bs=4)
            weights.parent.mkdir(parents=True, exist_ok=True); torch.save(net.state_dict(), weights)
        cnets['trained'] = net.eval()
        train_s = time.time() - t
        for n in TORCHVISION_NETWORKS:
            tv = torchvision_network(n)
            if tv is not None: cnets[n] = tv
        val = seg_dataset('camvid', root, 'val', size=size)
        cpairs = [val[i] for i in range(len(val))]
        # how good is the quick CamVid network? pixel accuracy on val
        with torch.no_grad():
            acc = [((net(x[None]).argmax(1)[0] == y) & (y != 255)).sum().item() / max((y != 255).sum().item(), 1) for x, y in cpairs[::5]]
        tab = boundary_auc_table(cpairs, cnets, layers, patch=10)
        tab.update(input_rows(cpairs, (1, 5, 10, 20)))
        tab_b = boundary_auc_table(cpairs, cnets, ('psp',), patch=10, radius=2, border=8)
        res['camvid'] = dict(images=len(cpairs), size=list(size), patch=10, table=tab, table_border8=tab_b, trained_iters=a.camvid_iters,
                             trained_val_pixel_acc=float(np.mean(acc)), train_seconds=round(train_s, 1),
                             torchvision_networks_found=[n for n in cnets if n in TORCHVISION_NETWORKS],
                             seconds=round(time.time() - t, 1))
        print(format_auc_table(tab, 'camvid'), res['camvid']['trained_val_pixel_acc'], flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    print('wrote', a.out)

if __name__ == '__main__': main()
