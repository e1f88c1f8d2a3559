"""The losses of `cct_nb.losses` (lesson 05_losses): they keep the dtype and device of their inputs and take fastai's tensor
subclasses (`TensorImage`, `TensorMask`) as plain tensors; and, below, the edge cases of each loss (void and empty inputs,
shape errors, resizing, schedules, reproducible pair draws), moved out of the lesson, which keeps the hand-computed checks."""
import math, pickle, warnings
from itertools import combinations
import pytest
import torch, torch.nn.functional as F
from conftest import DtypeWatch
from cct_nb.losses import (_plain, _check_target, supervised_ce, abce_loss, weak_loss, unsupervised_loss, pairwise_loss,
                           total_loss)
from fastcore.test import test_eq as eq, test_fail as fails, test_close as close, test_ne as ne
from cct_nb.losses import (CONSISTENCY, RAMPS, consistency_mse, consistency_kl, consistency_js, confidence_mask, ramp_exp,
                           ramp_sigmoid, rampup_weight, eta_schedule, check_class_balance, class_balance_weights,
                           consistency_weights)


class _Sub(torch.Tensor): pass   # stands for fastai's TensorImage / TensorMask




def test_plain_and_check_target():
    t = torch.zeros(2, 3).as_subclass(_Sub)
    assert type(_plain(t)) is torch.Tensor
    assert _plain(3.0) == 3.0
    assert _check_target(torch.zeros(2, 3, 4, 5), torch.zeros(2, 1, 4, 5)).shape == (2, 4, 5)   # (B,1,H,W) masks are accepted
    with pytest.raises(ValueError, match='target must be'): _check_target(torch.zeros(2, 3, 4, 5), torch.zeros(2, 4, 6))


def test_fastai_subclasses():
    "fastai's TensorImage/TensorMask make `F.cross_entropy` itself fail; the losses cast them first."
    from fastai.torch_core import TensorImage, TensorMask
    xi, ym = TensorImage(torch.randn(1, 2, 2, 2)), TensorMask(torch.tensor([[[0, 1], [1, 255]]]))
    with pytest.raises(Exception): F.cross_entropy(xi, ym, ignore_index=255)
    plain = supervised_ce(xi.as_subclass(torch.Tensor), ym.as_subclass(torch.Tensor))
    assert torch.allclose(supervised_ce(xi, ym), plain)
    logits, target = torch.randn(1, 2, 2, 2), torch.tensor([[[0, 1], [1, 255]]])
    assert type(supervised_ce(logits.as_subclass(_Sub), target.as_subclass(_Sub))) is torch.Tensor


def test_dtype_and_device_kept():
    "On float64 logits no torch function inside a loss returns another dtype or device."
    g = torch.Generator().manual_seed(0)
    m64 = torch.randn(2, 4, 6, 6, generator=g, dtype=torch.float64); m64[:, 1, :3] += 5
    a64 = [torch.randn(2, 4, 6, 6, generator=g, dtype=torch.float64) for _ in range(3)]
    y = torch.randint(0, 4, (2, 6, 6), generator=g); y[0, 0] = 255
    with DtypeWatch(torch.float64, 'cpu') as w:
        outs = [supervised_ce(m64, y), *abce_loss(m64, y, 0.5, min_kept=3), weak_loss(a64, y)]
        for d in ('mse', 'kl', 'js'): outs += [unsupervised_loss(m64, a64, d, conf_mask=0.5), pairwise_loss(a64, None, d)]
        outs.append(total_loss(outs[0], outs[3], 0.3, outs[2], 0.4))
    assert w.bad == []
    assert {o.dtype for o in outs} == {torch.float64}


@pytest.mark.parametrize('loss', [lambda m: unsupervised_loss(m, [m], 'kl'), lambda m: unsupervised_loss(m, [m], 'js'),
                                  lambda m: pairwise_loss([m, m])], ids=['kl', 'js', 'pairwise'])
def test_meta_device(loss):
    "The losses without data-dependent Python values also run on the `meta` device."
    assert loss(torch.empty(2, 4, 6, 6, device='meta')).device.type == 'meta'


# ---- The edge cases of each loss: the test batteries of lesson 05_losses, which keeps only the hand-computed checks ----
# the lesson's tiny example: two classes, 2x2 pixels, pixel (1,1) void; an auxiliary decoder with zero logits
_l3, _l9 = math.log(3), math.log(9)
LOGITS = torch.tensor([[[[0., 0.], [_l3, 0.]], [[0., _l3], [0., _l9]]]])
TARGET = torch.tensor([[[0, 1], [1, 255]]])
AUX0 = torch.zeros(1, 2, 2, 2)
P = F.softmax(LOGITS, 1)
P_PIX = [(0.5, 0.5), (0.25, 0.75), (0.75, 0.25), (0.1, 0.9)]
_ce = -(math.log(0.5) + math.log(0.75) + math.log(0.25)) / 3
_sq = [0., 0.125, 0.125, 0.32]
def _kl(p, q): return sum(pc * math.log(pc / qc) for pc, qc in zip(p, q) if pc > 0)
def _js(p, q): m = [(a + b) / 2 for a, b in zip(p, q)]; return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)
_kls, _jss = [_kl(p, (0.5, 0.5)) for p in P_PIX], [_js(p, (0.5, 0.5)) for p in P_PIX]
_l2 = LOGITS.clone(); _l2[0, :, 1, 1] = torch.tensor([7., -7.])   # other logits at the void pixel


def test_supervised_ce():
    close(_ce, math.log(32 / 3) / 3)
    close(supervised_ce(_l2, TARGET), _ce)                        # the void pixel really is ignored
    _x = LOGITS.clone().requires_grad_()                               # all void: zero, finite, and backward works
    _z = supervised_ce(_x, torch.full_like(TARGET, 255))
    eq(_z.item(), 0.); _z.backward(); eq(_x.grad.abs().sum().item(), 0.)
    fails(lambda: supervised_ce(LOGITS, TARGET[:, :1]), contains='target')
    fails(lambda: supervised_ce(LOGITS[0], TARGET), contains='logits must be')


def test_unsupervised_loss():
    close(unsupervised_loss(LOGITS, [torch.zeros(1, 2, 1, 1)]), consistency_mse(P, AUX0))   # a smaller aux output is resized
    eq(unsupervised_loss(torch.randn(2, 3, 8, 8), [torch.randn(2, 3, 4, 4)]).shape, ())
    fails(lambda: unsupervised_loss(LOGITS, [torch.zeros(1, 3, 2, 2)]), contains='aux_logits[0]')
    fails(lambda: unsupervised_loss(LOGITS, []), contains='empty')
    fails(lambda: unsupervised_loss(LOGITS, [AUX0], distance='l1'), contains='unknown')
    fails(lambda: consistency_mse(P, AUX0, torch.ones(1, 3, 2)), contains='mask must be')


def test_kl_js():
    eq(list(CONSISTENCY), ['mse', 'kl', 'js'])
    close(consistency_kl(P, AUX0, class_mean=False), F.kl_div(F.log_softmax(AUX0, 1), P, reduction='sum') / 4)
    with warnings.catch_warnings():                                                                        # official scale: / C
        warnings.simplefilter('ignore'); close(consistency_kl(P, AUX0), F.kl_div(F.log_softmax(AUX0, 1), P, reduction='mean'))
    close(unsupervised_loss(LOGITS, [AUX0, AUX0 + 1.], distance="js"), sum(_jss) / 8)     # softmax ignores +1
    close(unsupervised_loss(LOGITS, [AUX0], distance=consistency_kl), sum(_kls) / 8)
    _a, _b = torch.tensor([[[[8.]], [[-8.]]]]), torch.tensor([[[[-8.]], [[8.]]]])   # JS symmetric, bounded by log 2; KL not symmetric
    close(consistency_js(F.softmax(_a, 1), _b), consistency_js(F.softmax(_b, 1), _a))
    assert consistency_js(F.softmax(_a, 1), _b, class_mean=False) <= math.log(2)
    ne(consistency_kl(P, AUX0).item(), consistency_kl(F.softmax(AUX0, 1), LOGITS).item())
    _onehot = torch.tensor([[[[1.]], [[0.]]]]); _q = torch.zeros(1, 2, 1, 1, requires_grad=True)   # a one-hot target is fine
    for _d in CONSISTENCY.values():
        _v = _d(_onehot, _q); _v.backward(); assert torch.isfinite(_v) and torch.isfinite(_q.grad).all()
    close(consistency_kl(_onehot, torch.zeros(1, 2, 1, 1), class_mean=False), math.log(2))
    fails(lambda: consistency_kl(P, torch.zeros(1, 3, 2, 2)), contains='aux_logits')


def test_conf_mask_and_pixel_masks():
    eq(confidence_mask(P, beta=0.8), torch.tensor([[[0., 0.], [0., 1.]]]))
    eq(confidence_mask(P).dtype, torch.float32)
    close(unsupervised_loss(LOGITS, [AUX0], conf_mask=0.99), 0.)                         # nothing confident
    _m = torch.tensor([[[1., 1.], [0., 0.]]])
    close(consistency_mse(P, AUX0, _m, class_mean=False), 0.125 / 2)
    close(consistency_mse(P, AUX0, _m), 0.125 / 4)
    close(consistency_kl(P, AUX0, _m, class_mean=False), (_kls[0] + _kls[1]) / 2)
    close(consistency_js(P, AUX0, _m), (_jss[0] + _jss[1]) / 4)
    close(consistency_js(P, AUX0, torch.ones(1, 2, 2)), consistency_js(P, AUX0))
    _x = AUX0.clone().requires_grad_()
    _z = consistency_mse(P, _x, torch.zeros(1, 2, 2)); _z.backward(); eq(_z.item(), 0.)


def test_ramps():
    _e = math.exp
    _expected = {  # values at pct = 0, rampup/2, rampup, 3*rampup
        'exp':     [_e(-5), _e(-2.5), 1., 1.],
        'sigmoid': [_e(-5), _e(-1.25), 1., 1.],
        'linear':  [0., 0.5, 1., 1.],
        'cosine':  [0., 0.5, 1., 1.],
        'log':     [0., (1 - _e(-2.5)) / (1 - _e(-5)), 1., 1.],
    }
    for _T in (0.1, 0.5):
        for _k, _v in _expected.items():
            close([RAMPS[_k](p, _T) for p in (0., _T / 2, _T, 3 * _T)], _v, eps=1e-12)
            eq(type(RAMPS[_k](0.3, _T)), float)
            eq(RAMPS[_k](0.05, 0.), 1.)                 # zero-length ramp: already done
            _vals = [RAMPS[_k](p, _T) for p in torch.linspace(0, 2 * _T, 41).tolist()]
            assert all(a <= b + 1e-12 for a, b in zip(_vals, _vals[1:])), f"{_k} is not monotonic"
    eq(ramp_exp(0., 0.1), math.exp(-5))
    eq(pickle.loads(pickle.dumps(RAMPS))['sigmoid'](0.05, 0.1), ramp_sigmoid(0.05, 0.1))   # picklable (learn.export)


def test_rampup_weight():
    eq(rampup_weight(0.05, 0.4, 0.1, kind='linear'), 0.2)
    eq(rampup_weight(0.05, 2., 0.1, kind=lambda p, T: 0.25), 0.5)
    fails(lambda: rampup_weight(0.05, 30., 0.1, kind='gauss'), contains='unknown ramp')


def test_abce_loss():
    assert not abce_loss(LOGITS, TARGET, 0.6, min_kept=1)[1].requires_grad
    _loss, _share = abce_loss(LOGITS, TARGET, 1.0, min_kept=1)       # eta = 1 keeps every labeled pixel: eq. 1
    close(_loss, supervised_ce(LOGITS, TARGET)); eq(_share.item(), 0.)
    close(abce_loss(LOGITS, TARGET, 0.1, min_kept=1)[0], -math.log(0.25))      # the guard: least confident pixels
    close(abce_loss(LOGITS, TARGET, 0.1, min_kept=2)[0], -(math.log(0.25) + math.log(0.5)) / 2)
    close(abce_loss(LOGITS, TARGET, 0.1, min_kept=50)[0], supervised_ce(LOGITS, TARGET))  # min_kept > n_valid: all
    close(abce_loss(LOGITS, TARGET, 0.1, min_kept=1)[1], 1.)
    close(abce_loss(_l2, TARGET, 0.6, min_kept=1)[0], -(math.log(0.5) + math.log(0.25)) / 2)   # void never counts
    _x = LOGITS.clone().requires_grad_()
    _z, _s = abce_loss(_x, torch.full_like(TARGET, 255), 0.5); _z.backward(); eq((_z.item(), _s.item()), (0., 0.))
    close(abce_loss(LOGITS, TARGET, torch.tensor(0.6), min_kept=1)[1], 1 / 3)  # eta may be a tensor
    fails(lambda: abce_loss(LOGITS, TARGET[..., :1], 0.5), contains='target')
    eq(abce_loss(LOGITS, TARGET, 0.1, min_kept=0)[0].item(), 0.)   # no guard, nothing passes: zero, not NaN


def test_eta_schedule():
    for _C in (2, 5, 21):
        close(eta_schedule(0., _C), 1 / _C, eps=1e-12)
        close(eta_schedule(0.5, _C), 0.9, eps=1e-12)
        close(eta_schedule(3.0, _C), 0.9, eps=1e-12)
        close(eta_schedule(0.4, _C, rampup=0.4, final=0.8), 0.8, eps=1e-12)
    # eq. 17 itself, inside the ramp: ours is eq. 17 scaled by 1/(1-e^-5)
    _t, _C = 0.1, 21
    close(eta_schedule(_t, _C) - 1 / _C, ((1 - math.exp(-5 * _t / 0.5)) * (0.9 - 1 / _C)) / (1 - math.exp(-5)))
    _etas = [eta_schedule(p, 21) for p in torch.linspace(0, 1, 51).tolist()]
    assert all(a <= b for a, b in zip(_etas, _etas[1:]))


def test_pairwise_loss():
    torch.manual_seed(0)
    _A = [torch.randn(2, 3, 4, 4) for _ in range(5)]
    close(pairwise_loss([AUX0, LOGITS]), sum(_sq) / 8)
    close(pairwise_loss([AUX0, LOGITS]), 2 * 2 / (2 - 1) / 2 * (sum(_sq) / 4 / 4))
    _all = {(j, k): consistency_mse(F.softmax(_A[j], 1), _A[k]).item() for j, k in combinations(range(5), 2)}
    _g1, _g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    eq(pairwise_loss(_A, 3, generator=_g1), pairwise_loss(_A, 3, generator=_g2))
    assert any(abs(pairwise_loss(_A, 1, generator=torch.Generator().manual_seed(s)).item() - v) < 1e-6
               for s in range(3) for v in _all.values())
    close(pairwise_loss(_A, 100), pairwise_loss(_A))        # more pairs than exist: all of them
    close(pairwise_loss([AUX0, AUX0 + 2.]), 0.)
    fails(lambda: pairwise_loss([AUX0]), contains='at least 2')
    fails(lambda: pairwise_loss(_A, 0), contains='n_pairs')
    eq(pairwise_loss([torch.randn(1, 2, 4, 4), torch.randn(1, 2, 2, 2)], distance='js').shape, ())
    a1, a2 = torch.randn(1, 2, 3, 3, requires_grad=True), torch.randn(1, 2, 3, 3, requires_grad=True)
    pairwise_loss([a1, a2]).backward()                  # one pair: both members get a gradient
    assert a1.grad.abs().sum() > 0 and a2.grad.abs().sum() > 0


def test_weak_loss():
    close(weak_loss([torch.zeros(1, 2, 1, 1)], TARGET), math.log(2))      # resized to the labels
    eq(weak_loss([LOGITS], torch.full_like(TARGET, 255)).item(), 0.)
    fails(lambda: weak_loss([LOGITS], TARGET[0]), contains='pseudo_labels')
    fails(lambda: weak_loss([torch.zeros(2, 2, 2, 2)], TARGET), contains='aux_logits[0]')


def test_class_balance():
    eq(class_balance_weights(P, 0.), torch.ones(1, 2, 2))
    assert consistency_weights(P) is None; eq(consistency_weights(P, 0.5), confidence_mask(P))
    close(unsupervised_loss(LOGITS, [AUX0], class_balance=1.), unsupervised_loss(LOGITS, [AUX0]))
    close(unsupervised_loss(LOGITS, [AUX0], class_balance=0.), unsupervised_loss(LOGITS, [AUX0]))
    torch.manual_seed(0)   # an imbalanced batch: class c's total weight is n_c^(1-alpha)
    _lbl = (torch.rand(2, 16, 16) < 0.9).long() * 2 + (torch.rand(2, 16, 16) < 0.02).long()
    _pb = F.one_hot(_lbl, 5).permute(0, 3, 1, 2).float() * 0.6 + 0.08
    for _a in (1., 0.5):
        _w = class_balance_weights(_pb, _a)
        for _c in range(4):
            _n = float((_lbl == _c).sum())
            if _n: close(_w[_lbl == _c].sum(), _n ** (1 - _a), eps=1e-4)
    assert torch.isfinite(class_balance_weights(_pb, 3.)).all()                   # a class never predicted: no inf/NaN
    fails(lambda: class_balance_weights(P, -1.), contains='class_balance=-1.0')
    fails(lambda: class_balance_weights(P, float('nan')), contains='class_balance=nan')
    fails(lambda: class_balance_weights(P, None), contains='class_balance=None')
    eq(check_class_balance(None), None); eq(check_class_balance(0.5), 0.5)
    fails(lambda: check_class_balance('1', '--class-balance '), contains="--class-balance '1'")
    fails(lambda: class_balance_weights(P, 1., torch.ones(1, 3, 3)), contains='mask must be')
