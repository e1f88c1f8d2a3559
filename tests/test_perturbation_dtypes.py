"""Device and dtype of everything the perturbations make (lesson 06_perturbations, reference kernels).

Under mixed precision z arrives in bf16 or fp16, on a GPU; a perturbation that drew its noise with `torch.rand(shape)`
would make fp32 CPU tensors and either fail or silently upcast. So every random or constant tensor is made with the
device and dtype of its input (G-Cutout's crop offsets, which only choose positions, are drawn in at least fp32).
Checked here on float64 inputs under a `TorchFunctionMode` that records every floating tensor any torch function returns
(none may be of another dtype or device), and on PyTorch's `meta` device, where a tensor made on the CPU by mistake is an
error (for the perturbations that need no data-dependent Python values: I-VAT and G-Cutout do).
"""
import numpy as np
import pytest
from conftest import DtypeWatch
import torch, torch.nn.functional as F
from cct_nb.perturbations import AuxiliaryDecoders, PERTURBATIONS
from cct_nb.kernels import cutout_mask, object_boxes
from cct_nb.scenes import make_scene, SCENE_STUFF


@pytest.fixture(scope='module')
def inputs():
    "z (2, 32, 6, 8) after a ReLU, and one-hot main logits (2, 7, 48, 64) of a scene's mask."
    torch.manual_seed(0)
    z = (torch.randn(2, 32, 6, 8) + 0.5).relu()
    mask = torch.from_numpy(make_scene(1, (48, 64))[1].astype(np.int64))
    return z, F.one_hot(mask, 7).permute(2, 0, 1)[None].float().expand(2, -1, -1, -1)

def test_float64_stays_float64(inputs):
    z, ml = inputs
    torch.manual_seed(0)
    aux = AuxiliaryDecoders(32, 7, {n: 1 for n in PERTURBATIONS}, stuff=SCENE_STUFF).double()
    with DtypeWatch(torch.float64, 'cpu') as w: outs = aux(z.double(), ml.double())
    assert w.bad == []
    assert {o.dtype for o in outs} == {torch.float64} and len(outs) == len(PERTURBATIONS)

@pytest.mark.parametrize('name', ['noise', 'drop', 'dropout', 'object', 'context'])
def test_meta_device(inputs, name):
    z, ml = inputs
    aux = AuxiliaryDecoders(32, 7, {name: 2}, stuff=SCENE_STUFF).to('meta')
    assert {o.device.type for o in aux(z.to('meta'), ml.to('meta'))} == {'meta'}

@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_precision_masks_keep_their_dtype(inputs, dtype):
    "Half-precision z: the perturbed copies and G-Cutout's mask are in z's dtype."
    z, ml = inputs
    for name in ('noise', 'drop', 'dropout', 'object', 'context', 'cutout'):
        zt = PERTURBATIONS[name](**({'stuff': SCENE_STUFF} if name in ('object', 'context', 'cutout') else {})).stack(z.to(dtype), 2, ml)
        assert zt.dtype == dtype and zt.shape == (2, 64, 6, 8), name
    pred = torch.zeros(1, 40, 40, dtype=torch.long); pred[:, 5:25, 10:30] = 3
    m = cutout_mask(object_boxes(pred, (0,)), pred.shape, 0.4, k=2, dtype=dtype)
    assert m.dtype == dtype and ((m == 0).sum((2, 3)) == 13 * 13).all()
