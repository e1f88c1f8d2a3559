"""One batch, two paths: the CCT learner with w_u = 0 (labeled + unlabeled forward) vs its labeled-only forward; prints the largest gradient difference on the shared parameters.

Run: python -m benchmarks.cct_lambda0_grad   (measured 0.0 at commit 2126c22: with w_u = 0 the CCT step is the baseline step; the seed-2
collapse of README "Findings" comes from the random stream, not from the CCT code path). Prints, writes no JSON.
"""
import torch, copy
from cct_nb.data import segmentation_dls
from cct_nb.train import cct_learner
from cct_nb.model import SegmentationNet
from fastai.torch_core import set_seed
set_seed(2)
d = segmentation_dls('scenes', None, n_labeled=30, bs=8, seed=2)
l = cct_learner(d, 'resnet18', False, 256, lambda_u=0.)
m = l.model; m.train()
xb, yb = d.dls.train.one_batch()
xu = next(iter(d.unlabeled))[0]
print(type(xb), xb.shape, xu.shape, xb.mean().item(), xb.std().item(), xu.mean().item(), xu.std().item())
lf = l.loss_func; lf.w_u = 0.
# baseline-style: labeled only
m.zero_grad(); out = m(xb); loss = lf(out, yb); loss.backward()
g1 = {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}
sd = copy.deepcopy(m.state_dict())
m.load_state_dict(sd)
m.zero_grad(); out = m(xb, xu); loss2 = lf(out, yb); loss2.backward()
g2 = {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}
print('loss', loss.item(), loss2.item())
mx = max((g1[n]-g2[n]).abs().max().item() for n in g1)
print('max grad diff on shared params', mx, 'extra params with grad', len(set(g2)-set(g1)), 'nonzero extra', sum(g2[n].abs().sum().item()>0 for n in set(g2)-set(g1)))
