"""One CCT (or baseline) run on the scenes with chosen lambda_u, ramp-up and perturbations: the probe behind the seed-2 diagnosis in the README.

Positional arguments: method lr n_labeled epochs seed [lambda_u [rampup_u [perturbations]]]; Adam + fit_one_cycle (the CLI's fastai recipe).
Example (lambda_u = 0, only vat:2): python -m benchmarks.cct_seed_probe cct 3e-3 30 4 2 0 0.1 vat:2
Prints one line: method, perturbations, lambda_u, ramp, lr, n, epochs, seed, iterations, mIoU, per-class IoU, seconds.
"""
import sys, time, torch, numpy as np
from fastai.torch_core import set_seed
from fastai.optimizer import Adam
from cct_nb.data import segmentation_dls
from cct_nb.learner import segmentation_learner, evaluate
from cct_nb.train import cct_learner
method, lr, n, ep, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lam = float(sys.argv[6]) if len(sys.argv) > 6 else 30.
set_seed(seed)
data = segmentation_dls('scenes', None, n_labeled=n, bs=8, seed=seed)
ramp = float(sys.argv[7]) if len(sys.argv) > 7 else 0.1
pert = sys.argv[8] if len(sys.argv) > 8 else 'cct'
if method == 'cct': learn = cct_learner(data, 'resnet18', False, 256, perturbations=pert, lambda_u=lam, rampup_u=ramp)
else: learn = segmentation_learner(data, 'resnet18', False, 256)
learn.opt_func = Adam
t = time.time()
with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(ep, lr)
res = evaluate(learn.model, data.dls.valid, data.info)
print(method, pert, lam, ramp, lr, n, ep, seed, len(data.dls.train)*ep, round(res['miou']*100, 1), {k: round(v*100) for k, v in res['per_class_iou'].items()}, round(time.time()-t), flush=True)
