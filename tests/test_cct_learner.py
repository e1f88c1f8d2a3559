"""The CCT learner of lesson 07_train inside fastai: L_u never trains the main decoder (straightforward and lean step),
the w_u ramp recorded per iteration, lr_find frozen, fastai's own callbacks, get_preds."""
import math, shutil, tempfile
from pathlib import Path
import pytest, torch
import torch.nn.functional as F
from fastai.torch_core import set_seed
from cct_nb.data import DATASETS, segmentation_dls
from cct_nb.scenes import write_scenes
from cct_nb.losses import abce_loss
from cct_nb.train import cct_model, cct_learner, CCTLoss

@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    return write_scenes(tmp_path_factory.mktemp('scenes') / 'scenes', n_train=24, n_val=8, n_test=0, size=(32, 48))

def tiny_learner(root, **kw):
    "CCT on 8 labeled and 16 unlabeled 32×48 scenes, five auxiliary decoders."
    set_seed(0)
    d = segmentation_dls('scenes', root, n_labeled=8, bs=4, seed=0)
    return cct_learner(d, 'resnet18', z_channels=32, perturbations={'noise': 2, 'drop': 1, 'vat': 1, 'cutout': 1},
                       path=kw.pop('path', tempfile.mkdtemp()), **kw)

@pytest.mark.parametrize('fused', [False, True])
def test_unsupervised_loss_never_trains_the_main_decoder(fused):
    "With every labeled pixel void (L_s = 0), L = w_u L_u reaches the encoder and every auxiliary decoder, never g."
    torch.manual_seed(0)
    m = cct_model(DATASETS['scenes'], 'resnet18', z_channels=32, perturbations={'noise': 1, 'drop': 1}, fused=fused).train()
    loss = CCTLoss(7); loss.w_u = 30.
    L = loss(m(torch.randn(2, 3, 32, 48), torch.randn(2, 3, 32, 48)), torch.full((2, 32, 48), 255))
    L.backward()
    assert loss.last['L_s'] == 0. and loss.last['L_u'] > 0
    assert L.item() == pytest.approx(30 * loss.last['L_u'], rel=1e-4)
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in m.decoder.parameters()), 'L_u must not train g'
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.encoder.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.aux.parameters())

def test_validation_loss_is_plain_cross_entropy_and_abce_logs_its_share():
    z, t = torch.randn(2, 7, 4, 4), torch.randint(0, 7, (2, 4, 4))
    assert float(CCTLoss(7)(z, t)) == pytest.approx(float(F.cross_entropy(z, t)), rel=1e-6)
    la = CCTLoss(7, sup_loss='abce'); la.w_u, la.eta = 1., 0.9
    la((z, z, [z]), t)
    ref_loss, ref_share = abce_loss(z, t, 0.9)
    assert la.last['L_s'] == pytest.approx(float(ref_loss)) and la.last['confident'] == pytest.approx(float(ref_share))
    with pytest.raises(ValueError, match="unsup_loss='l1'"): CCTLoss(7, unsup_loss='l1')

def test_fit_records_the_ramp_per_iteration(scenes):
    learn = tiny_learner(scenes)
    with learn.no_bar(), learn.no_logging(): learn.fit_seg(2)
    h = learn.recorder.hps
    assert len(h['w_u']) == 2 * len(learn.dls.train) == len(h['lr']) == len(h['L_s'])
    assert h['w_u'][0] == pytest.approx(30 * math.exp(-5), rel=1e-6)       # the Gaussian ramp at t = 0
    assert h['w_u'][-1] == pytest.approx(30.)                               # ramped up after 10 %
    assert all(a <= b + 1e-9 for a, b in zip(h['w_u'], h['w_u'][1:]))      # monotone
    assert all(v > 0 for v in h['L_u'])
    assert len(learn.dls.train) == len(learn.seg_data.unlabeled)            # one epoch = one pass over D_u

def test_lr_find_does_not_advance_the_ramps(scenes):
    learn = tiny_learner(scenes)
    with learn.no_bar(), learn.no_logging(): r = learn.lr_find(num_it=6, show_plot=False)
    assert learn.loss_func.w_u == pytest.approx(30 * math.exp(-5), rel=1e-6)
    assert len(getattr(learn.recorder, 'hps', {}).get('w_u', [])) == 0
    assert r.valley > 0

def test_fastai_callbacks_and_get_preds(scenes, tmp_path):
    "CSVLogger, SaveModelCallback on our mIoU and ShowGraphCallback work; get_preds gives the main decoder's probabilities."
    import pandas as pd, matplotlib
    matplotlib.use('Agg')
    from fastai.callback.tracker import SaveModelCallback
    from fastai.callback.progress import CSVLogger, ShowGraphCallback
    learn = tiny_learner(scenes, path=tmp_path)
    learn.fit_seg(2, cbs=[CSVLogger(fname='history.csv'), SaveModelCallback(monitor='miou', fname='best'), ShowGraphCallback()])
    csv = pd.read_csv(tmp_path / 'history.csv')
    assert list(csv.columns[:5]) == ['epoch', 'train_loss', 'valid_loss', 'miou', 'pixel_acc'] and len(csv) == 2
    assert (tmp_path / 'models' / 'best.pth').exists()
    p, _ = learn.get_preds()
    assert p.shape == (8, 7, 32, 48)
    assert torch.allclose(p.sum(1), torch.ones(8, 32, 48), atol=1e-4)

def _aux_grads_at_w_u_0(aux_sup, fused):
    "Gradient norms of the auxiliary decoders and of g after one CCT loss with w_u = 0 (only labeled terms can train them)."
    torch.manual_seed(0)
    m = cct_model(DATASETS['scenes'], 'resnet18', z_channels=32, perturbations={'noise': 1, 'drop': 1}, fused=fused, aux_sup=bool(aux_sup)).train()
    loss = CCTLoss(7, aux_sup=aux_sup); loss.w_u = 0.
    L = loss(m(torch.randn(2, 3, 32, 48), torch.randn(2, 3, 32, 48)), torch.randint(0, 7, (2, 32, 48)))
    L.backward()
    norm = lambda ps: sum(float(p.grad.abs().sum()) for p in ps if p.grad is not None)
    return float(L.detach()), norm(m.aux.parameters()), norm(m.decoder.parameters())

@pytest.mark.parametrize('fused', [False, True])
def test_aux_sup_trains_the_auxiliary_decoders_on_labels(fused):
    "--aux-sup: with w_u = 0 the auxiliary decoders get a gradient only from the labeled batch's cross-entropy, which adds to L."
    L0, aux0, g0 = _aux_grads_at_w_u_0(None, fused)
    L1, aux1, g1 = _aux_grads_at_w_u_0(1.0, fused)
    assert aux0 == 0 and aux1 > 0, (aux0, aux1)          # the paper's CCT: nothing but L_u trains them
    assert g0 > 0 and g1 == pytest.approx(g0, rel=1e-4)  # g's gradient is L_s's alone, with or without the option
    assert L1 > L0                                        # the auxiliary cross-entropy (positive) is part of the loss

def test_aux_sup_tiny_run(scenes):
    "A tiny fit with --aux-sup: finite losses, and the auxiliary decoders' weights move."
    learn = tiny_learner(scenes, aux_sup=1.0)
    before = [p.detach().clone() for p in learn.model.aux.parameters()]
    with learn.no_bar(), learn.no_logging(): learn.fit_seg(1)
    assert all(math.isfinite(v) for v in learn.recorder.hps['L_s']) and all(math.isfinite(float(v)) for v in learn.recorder.losses)
    assert any(not torch.equal(a, p) for a, p in zip(before, learn.model.aux.parameters()))

def test_pointwise_set_trains_the_encoder_through_30_cellwise_decoders(scenes):
    "--perturbations pointwise: 30 auxiliary decoders, only DropOut, F-Noise and I-VAT; L_u reaches the encoder, never g; a tiny fit moves them."
    torch.manual_seed(0)
    m = cct_model(DATASETS['scenes'], 'resnet18', z_channels=32, perturbations='pointwise').train()
    assert m.aux.spec == {'vat': 2, 'noise': 14, 'dropout': 14} and sum(m.aux.spec.values()) == 30
    loss = CCTLoss(7); loss.w_u = 30.
    loss(m(torch.randn(2, 3, 32, 48), torch.randn(2, 3, 32, 48)), torch.full((2, 32, 48), 255)).backward()   # L_s = 0: L = w_u L_u
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in m.decoder.parameters())
    assert sum(p.grad.abs().sum() for p in m.encoder.parameters() if p.grad is not None) > 0
    set_seed(0)
    learn = cct_learner(segmentation_dls('scenes', scenes, n_labeled=8, bs=4, seed=0), 'resnet18', z_channels=16,
                        perturbations='pointwise', path=tempfile.mkdtemp())
    before = [p.detach().clone() for p in learn.model.aux.parameters()]
    with learn.no_bar(), learn.no_logging(): learn.fit_seg(1)
    assert all(math.isfinite(v) for v in learn.recorder.hps['L_u']) and all(math.isfinite(float(v)) for v in learn.recorder.losses)
    assert any(not torch.equal(a, p) for a, p in zip(before, learn.model.aux.parameters()))
