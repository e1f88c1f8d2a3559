"""The lean CCT step (`CCTModel(fused=True)`, the default) computes the straightforward step's loss and gradients."""
import math, tempfile
from pathlib import Path
import pytest, torch
from cct_nb.data import DATASETS
from cct_nb.perturbations import CCT_PERTURBATIONS
from cct_nb.train import cct_model, CCTLoss
from cct_nb.lean import UnlabeledBranch

INFO = DATASETS['scenes']

def step(fused, perturbations, size=(32, 48), chunk=1, loss_cls=CCTLoss, setup=None, **loss_kw):
    "Loss parts and every parameter's gradient after one step from fixed weights and seeds."
    torch.manual_seed(0)
    m = cct_model(INFO, 'resnet18', z_channels=16, perturbations=perturbations, fused=fused).train()
    m.aux_chunk = chunk
    for p in m.aux.parameters(): p.data += 0.05 * torch.randn_like(p)          # distinct decoders
    xl, xu, y = torch.randn(2, 3, *size), torch.randn(2, 3, *size), torch.randint(0, 7, (2, *size))
    lf = loss_cls(7, **loss_kw); lf.w_u, lf.eta, lf.w_w = 30., 0.5, 0.4
    if setup: setup(lf, size)
    torch.manual_seed(1)
    pred = m(xl, xu)
    assert isinstance(pred[1], UnlabeledBranch) == fused
    lf(pred, y).backward()
    return lf.last, {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}, torch.rand(3)

def assert_same(a, b):
    (la, ga, ra), (lb, gb, rb) = a, b
    assert la.keys() == lb.keys()
    for k in la:
        if not math.isnan(la[k]): assert la[k] == pytest.approx(lb[k], rel=1e-5, abs=1e-7), k
    assert ga.keys() == gb.keys()
    for n in ga:
        tol = 2e-5 * max(1., ga[n].abs().max().item())
        assert torch.allclose(ga[n], gb[n], atol=tol, rtol=1e-4), (n, (ga[n] - gb[n]).abs().max().item())
    assert torch.equal(ra, rb), 'the generator must end where the straightforward step leaves it'

@pytest.mark.parametrize('name', list(CCT_PERTURBATIONS))
def test_each_perturbation_type(name):
    assert_same(step(False, {name: 2}), step(True, {name: 2}))

@pytest.mark.parametrize('kw', [dict(unsup_loss='kl', conf_mask=0.3, sup_loss='abce'),
                                dict(unsup_loss='js', size=(30, 45)),            # resized outputs: the image layout
                                dict(chunk=None), dict(chunk=2, unsup_loss='js', conf_mask=0.5),
                                dict(chunk=(1, 3), conf_mask=0.4),              # one decoder and bands of rows at a time
                                dict(chunk=(1, 3), class_balance=1.),           # class-balanced weights, split into bands of rows
                                dict(chunk=2, unsup_loss='js', conf_mask=0.3, class_balance=0.5)])
def test_all_types_together(kw):
    spec, kw = {n: 2 for n in CCT_PERTURBATIONS}, dict(kw)
    fused_only = {k: kw.pop(k) for k in ('chunk',) if k in kw}
    assert_same(step(False, spec, **kw), step(True, spec, **fused_only, **kw))

def test_pairwise_reads_the_logits():
    spec = {'noise': 2, 'drop': 2, 'vat': 1}
    assert_same(step(False, spec, pairwise=3), step(True, spec, pairwise=3))

def test_weak_loss_sees_the_same_auxiliary_predictions():
    from cct_nb.weak import WeakCCTLoss
    def setup(lf, size): lf.y_w = torch.randint(0, 7, (2, *size)); lf.y_w[:, :3] = 255
    spec = {'noise': 2, 'cutout': 1, 'vat': 1}
    a, b = step(False, spec, loss_cls=WeakCCTLoss, setup=setup), step(True, spec, loss_cls=WeakCCTLoss, setup=setup)
    assert 'L_w' in a[0]
    assert_same(a, b)

def test_fallbacks_and_no_grad():
    m = cct_model(INFO, 'resnet18', z_channels=16, perturbations={'noise': 1}).train()
    xl, xu = torch.randn(2, 3, 32, 48), torch.randn(2, 3, 32, 48)
    with torch.autocast('cpu', dtype=torch.bfloat16):                              # mixed precision: the lean step too (issue 33)
        assert isinstance(m(xl, xu)[1], UnlabeledBranch)
    lf = CCTLoss(7); lf.w_u = 30.
    with torch.no_grad(): loss = lf(m(xl, xu), torch.randint(0, 7, (2, 32, 48)))
    assert not loss.requires_grad and lf.last['L_u'] > 0
    assert isinstance(m.eval()(xl, xu), torch.Tensor)

def test_fit_lean_equals_straightforward(tmp_path):
    "Two epochs with fastai: the same raw losses and logged L_s / L_u, batch by batch, either way."
    from fastai.callback.core import Callback
    from fastai.torch_core import set_seed
    from cct_nb.data import segmentation_dls
    from cct_nb.scenes import write_scenes
    from cct_nb.train import cct_learner
    root = write_scenes(tmp_path / 'scenes', n_train=16, n_val=4, n_test=0, size=(32, 48))
    class Raw(Callback):
        def before_fit(self): self.losses = []
        def after_batch(self):
            if self.training: self.losses.append(float(self.loss.detach()))
    runs = []
    for fused in (False, True):
        set_seed(0)
        d = segmentation_dls('scenes', root, n_labeled=8, bs=4, seed=0)
        raw = Raw()
        learn = cct_learner(d, 'resnet18', z_channels=16, perturbations={'noise': 1, 'cutout': 1, 'vat': 1},
                            fused=fused, recipe='paper', path=tmp_path / str(fused), cbs=[raw])
        with learn.no_bar(), learn.no_logging(): learn.fit_seg(2)
        runs.append((raw.losses, learn.recorder.hps, learn.validate()))
    (l0, h0, v0), (l1, h1, v1) = runs
    assert len(l0) == len(l1) > 0
    assert l0 == pytest.approx(l1, rel=1e-4, abs=1e-6)
    for k in ('L_s', 'L_u', 'w_u'): assert h0[k] == pytest.approx(h1[k], rel=1e-4, abs=1e-6), k
    assert list(v0) == pytest.approx(list(v1), rel=1e-3, abs=1e-5)

@pytest.mark.parametrize('recipe,method', [('fastai', 'cct'), ('paper', 'cct'), ('fastai', 'mean-teacher'), ('fastai', 'vat')])
def test_cct_at_lambda0_trains_the_baseline_weights(tmp_path, recipe, method):
    """Same seed, λ_u = 0: CCT's (and Mean Teacher's, input VAT's) network ends bit for bit where the supervised baseline's ends.

    The unlabeled loader, the perturbations and the P-Wise subset draw from private `RandomStream`s, and the main decoder is
    built before the auxiliary ones, so the initial weights and every labeled batch are the baseline's; with ω_u = 0 the
    gradients are too. Only the BatchNorm running statistics differ (the encoder also sees x_u in training mode)."""
    from fastai.callback.core import Callback
    from fastai.torch_core import set_seed
    from cct_nb.data import segmentation_dls
    from cct_nb.scenes import write_scenes
    from cct_nb.learner import segmentation_learner
    from cct_nb.train import cct_learner
    root = write_scenes(tmp_path / 'scenes', n_train=20, n_val=4, n_test=0, size=(32, 48))
    class Batches(Callback):
        def before_fit(self): self.seen = []
        def before_batch(self):
            if self.training: self.seen.append((self.xb[0].clone(), self.yb[0].clone()))
    out = {}
    from cct_nb.baselines import mean_teacher_learner, vat_learner
    for name in ('baseline', method):
        set_seed(3)
        d = segmentation_dls('scenes', root, n_labeled=8, bs=4, seed=3)
        rec = Batches()
        kw = dict(recipe=recipe, path=tmp_path / name, cbs=[rec])
        if name == 'baseline': learn = segmentation_learner(d, 'resnet18', z_channels=16, **kw)
        elif name == 'cct': learn = cct_learner(d, 'resnet18', z_channels=16, perturbations={'noise': 1, 'dropout': 1, 'cutout': 1, 'vat': 1},
                                                 lambda_u=0., pairwise=2, **kw)
        else: learn = (mean_teacher_learner if name == 'mean-teacher' else vat_learner)(d, 'resnet18', z_channels=16, lambda_u=0., **kw)
        with learn.no_bar(), learn.no_logging():
            learn.fit_seg(2) if name == 'cct' else learn.fit_seg(2)
        out[name] = ({k: v.detach().clone() for k, v in learn.model.named_parameters()}, rec.seen, learn)
    (pb, sb, lb), (pc, sc, lc) = out['baseline'], out[method]
    assert len(sb) == len(sc) == 2 * len(lb.dls.train) > 0
    for (xb, yb), (xc, yc) in zip(sb, sc): assert torch.equal(xb, xc) and torch.equal(yb, yc)   # the same labeled batches
    assert all(v > 0 for v in lc.recorder.hps['L_u'])                                            # the method did run its unlabeled half
    for k, v in pb.items(): assert torch.equal(v, pc[k]), k                                      # and trained the same weights
    assert any(not torch.equal(v, lc.model.state_dict()[k]) for k, v in lb.model.state_dict().items() if 'running' in k)
