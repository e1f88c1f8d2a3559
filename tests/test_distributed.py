"""Data-parallel training with two real processes (`torchrun`, gloo on the CPU): the processes agree, the result is the
one-process result of the same global batch, the unlabeled set is sharded, and `cct_nb_train` writes its files once."""
import json, os, runpy, subprocess, sys
from pathlib import Path
import numpy as np
import pytest, torch
from PIL import Image
from conftest import BIN
from cct_nb.data import write_fixture
from cct_nb.scenes import write_scenes

ENV = os.environ | {'OMP_NUM_THREADS': '1'}

# One script, run by `torchrun --nproc_per_node 2` and, for the reference, in one process. BatchNorm is frozen in the
# baseline comparison (`bn='frozen'`: per-image computation; SyncBatchNorm is GPU-only) and the masks have no void pixels,
# so that 2 processes x batch 4 must give the weights of 1 process x batch 8 (see nbs/reference/distributed.ipynb).
WORKER = '''
import sys, json, torch
from fastai.torch_core import set_seed
from cct_nb.data import segmentation_dls
from cct_nb.learner import segmentation_learner
from cct_nb.train import cct_learner
from cct_nb.distributed import init_distributed, shard_data, distributed_learner, FrozenBatchNorm
root, out = sys.argv[1], sys.argv[2]
rank, world = init_distributed()
def fit(learn, n):
    if world > 1: distributed_learner(learn)
    with learn.no_bar(), learn.no_logging(): learn.fit_seg(n, lr=0.01)
    return learn
# 1. the supervised baseline, frozen BatchNorm: 8 images per global step
set_seed(0)
d = segmentation_dls('camvid', root, bs=8 // world, size=(16, 16))
if world > 1: d = shard_data(d)
set_seed(1)
l = segmentation_learner(d, 'resnet18', z_channels=16, recipe='paper', cbs=[FrozenBatchNorm()])
if rank == 0: torch.save(l.model.state_dict(), f'{out}.init')
torch.save(fit(l, 2).model.state_dict(), f'{out}.base.rank{rank}')
if world == 1: sys.exit(0)
# 2. CCT with random perturbations and per-process BatchNorm: the processes must still agree exactly
set_seed(0)
d = shard_data(segmentation_dls('camvid', root, n_labeled=4, bs=2, size=(16, 16)))
json.dump(d.unlabeled.get_idxs(), open(f'{out}.unl.rank{rank}', 'w'))
set_seed(1)
l = cct_learner(d, 'resnet18', z_channels=16, perturbations='noise:1,drop:1', recipe='fastai')
torch.save(fit(l, 1).model.state_dict(), f'{out}.cct.rank{rank}')
'''

@pytest.fixture(scope='module')
def camvid(tmp_path_factory):
    root = write_fixture('camvid', tmp_path_factory.mktemp('data') / 'cv', n=16, size=(16, 16))
    for f in root.glob('*annot/*.png'): Image.fromarray(np.asarray(Image.open(f)) % 11).save(f)   # no void (11) pixels
    return root

def test_two_processes_agree_and_match_one_process(camvid, tmp_path, monkeypatch):
    script = tmp_path / 'worker.py'; script.write_text(WORKER)
    r = subprocess.run([str(BIN / 'torchrun'), '--standalone', '--nproc_per_node', '2', str(script), str(camvid), str(tmp_path / 'two')],
                       capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    monkeypatch.setattr(sys, 'argv', ['worker.py', str(camvid), str(tmp_path / 'one')])
    with pytest.raises(SystemExit): runpy.run_path(str(script), run_name='__main__')       # the same script, one process
    load = lambda n: torch.load(tmp_path / n, weights_only=True)
    init, one, a, b = load('one.init'), load('one.base.rank0'), load('two.base.rank0'), load('two.base.rank1')
    moved = max((one[k] - init[k]).abs().max().item() for k in one if one[k].is_floating_point())
    assert moved > 1e-3                                                          # the weights did train
    for k in one:
        assert torch.equal(a[k], b[k]), k                                        # both processes hold the same weights ...
        if one[k].is_floating_point(): torch.testing.assert_close(a[k], one[k], atol=1e-5, rtol=1e-4)   # ... = one process, batch 8
    ca, cb = load('two.cct.rank0'), load('two.cct.rank1')
    assert ca.keys() == cb.keys() and all(torch.equal(ca[k], cb[k]) for k in ca)   # CCT too, despite per-rank noise and BatchNorm
    u0, u1 = (json.loads((tmp_path / f'two.unl.rank{r}').read_text()) for r in (0, 1))
    assert not set(u0) & set(u1) and sorted(u0 + u1) == list(range(12))          # 12 unlabeled images, sharded 6 + 6

def test_cct_nb_train_under_torchrun(tmp_path):
    scenes = write_scenes(tmp_path / 'scenes', n_train=12, n_val=4, n_test=0, size=(32, 32))
    out = tmp_path / 'run'
    r = subprocess.run([str(BIN / 'torchrun'), '--standalone', '--nproc_per_node', '2', '--no-python', str(BIN / 'cct_nb_train'),
                        '--data-dir', str(scenes), '--out', str(out), '--n-labeled', '4', '--epochs', '2', '--bs', '2',
                        '--z-channels', '16', '--perturbations', 'noise:1', '--quiet'], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count('val mIoU') == 1                                       # rank 0 reports, once
    m = json.loads((out / 'metrics.json').read_text())
    assert m['machine']['processes'] == 2 and m['iterations'] == 2 * 2           # 8 unlabeled / (2 processes x 2) = 2 steps per epoch
    assert (out / 'history.csv').read_text().count('\n') == 3                    # a header and two epochs, written once
    assert (out / 'model.pth').is_file() and not (out / 'train_state.pth').exists()
    assert sorted(p.name for p in out.iterdir()) == ['history.csv', 'labeled.txt', 'metrics.json', 'model.pth', 'predictions.png', 'run.json', 'unlabeled.txt']
