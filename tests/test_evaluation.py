"""`cct_nb_predict` as a user meets it: a folder of images in, palette PNGs out; mistakes end in one clear line and exit code 2."""
import os, subprocess, sys
import numpy as np
import pytest
from PIL import Image
from conftest import BIN

ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}

def predict(*args):
    "Run the installed `cct_nb_predict` when it is registered, else the same entry point through Python."
    exe = BIN / 'cct_nb_predict'
    cmd = [str(exe)] if exe.exists() else [sys.executable, '-c',
           'import sys; from cct_nb.cli import predict_main; sys.argv[0] = "cct_nb_predict"; predict_main()']
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, env=ENV, timeout=600)

@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    from cct_nb.model import segmentation_net
    from cct_nb.checkpoint import save_checkpoint
    f = tmp_path_factory.mktemp('ck') / 'model.pth'
    save_checkpoint(f, segmentation_net(7, 'resnet18', z_channels=16),
                    {'n_classes': 7, 'arch': 'resnet18', 'z_channels': 16, 'dataset': 'scenes', 'size': [32, 48]})
    return f

@pytest.fixture
def images(tmp_path):
    d = tmp_path / 'images'; d.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)).save(d / 'one.jpg')
    Image.fromarray(rng.integers(0, 256, (20, 30), dtype=np.uint8), mode='L').save(d / 'two.png')
    return d

def test_writes_palette_pngs_and_overlays(checkpoint, images, tmp_path):
    out = tmp_path / 'out'
    r = predict('--checkpoint', checkpoint, '--images', images, '--out', out, '--overlay', '--multi-scale', '--bs', '2')
    assert r.returncode == 0, r.stderr
    assert 'wrote 2 predictions' in r.stdout
    assert sorted(p.name for p in out.iterdir()) == ['one.png', 'one_overlay.png', 'two.png', 'two_overlay.png']
    im = Image.open(out / 'one.png')
    assert im.mode == 'P' and im.size == (53, 37) and np.asarray(im).max() < 7
    assert Image.open(out / 'two_overlay.png').size == (30, 20)

def test_never_overwrites_unless_asked(checkpoint, images, tmp_path):
    out = tmp_path / 'out'
    assert predict('--checkpoint', checkpoint, '--images', images, '--out', out).returncode == 0
    (out / 'one.png').write_bytes(b'mine')
    r = predict('--checkpoint', checkpoint, '--images', images, '--out', out)
    assert r.returncode == 2 and 'exists' in r.stderr and '--overwrite' in r.stderr and 'Traceback' not in r.stderr
    assert (out / 'one.png').read_bytes() == b'mine'
    r = predict('--checkpoint', checkpoint, '--images', images, '--out', out, '--overwrite')
    assert r.returncode == 0, r.stderr
    assert Image.open(out / 'one.png').mode == 'P'

def test_clear_errors(checkpoint, images, tmp_path):
    r = predict('--checkpoint', checkpoint, '--images', tmp_path / 'nowhere', '--out', tmp_path / 'o')
    assert r.returncode == 2 and str(tmp_path / 'nowhere') in r.stderr and 'Traceback' not in r.stderr
    (tmp_path / 'empty').mkdir()
    r = predict('--checkpoint', checkpoint, '--images', tmp_path / 'empty', '--out', tmp_path / 'o')
    assert r.returncode == 2 and 'no images' in r.stderr and str(tmp_path / 'empty') in r.stderr
    (images / 'broken.png').write_bytes(b'not a png')
    r = predict('--checkpoint', checkpoint, '--images', images, '--out', tmp_path / 'o')
    assert r.returncode == 2 and 'broken.png' in r.stderr and 'Traceback' not in r.stderr
    r = predict('--checkpoint', tmp_path / 'none.pth', '--images', images, '--out', tmp_path / 'o')
    assert r.returncode == 2 and 'none.pth' in r.stderr
    r = predict('--images', images, '--out', tmp_path / 'o')
    assert r.returncode == 2 and '--checkpoint' in r.stderr
