"""Bad input, tried systematically: every reader and every console script, fed what users really feed them.

Each case ends in an error naming the cause (exception type and the file / flag in the message), or in a documented
fallback that is asserted (grayscale, RGBA and 16-bit images become RGB). Console scripts exit non-zero with one line on
stderr and no traceback; nothing existing is overwritten. Most cases call the scripts' Python entry points with an argv
(fast); a few run the installed executables for real."""
import json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest, torch
from PIL import Image
from conftest import BIN
from cct_nb.data import (write_fixture, load_items, seg_dataset, segmentation_dls, read_image, write_split, DATASETS)
from cct_nb.scenes import write_scenes
from cct_nb.model import segmentation_net
from cct_nb.checkpoint import save_checkpoint, load_checkpoint
from cct_nb.learner import NonFiniteLossError
from cct_nb.run import train_run, resume_run, eval_run
from cct_nb.cli import train_main, eval_main
from cct_nb.cli import predict_main
from fastai.callback.core import Callback

KINDS = ('camvid', 'voc', 'cityscapes', 'sunrgbd', 'scenes')
ENV = os.environ | {'OMP_NUM_THREADS': '1'}
TINY = ['--n-labeled', '4', '--epochs', '2', '--bs', '4', '--z-channels', '16', '--perturbations', 'noise:1', '--quiet']

def make(kind, root, n=3):
    "A tiny dataset of `kind` in its real layout."
    if kind == 'scenes': return write_scenes(root, n_train=n, n_val=2, n_test=0, size=(24, 32))
    return write_fixture(kind, root, n=n)

def cli(monkeypatch, capsys, main, *args):
    "Run a console entry point in this process: (exit code, stdout, stderr)."
    monkeypatch.setattr(sys, 'argv', [main.__name__, *map(str, args)])
    code = 0
    try: main()
    except SystemExit as e: code = e.code
    out, err = capsys.readouterr()
    return code, out, err

def run(exe, *args):
    "Run an installed console script for real."
    return subprocess.run([str(BIN / exe), *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600)

def save(path, arr, mode=None): Image.fromarray(arr, mode=mode).save(path)

def truncate(path):
    b = Path(path).read_bytes(); Path(path).write_bytes(b[:len(b) // 2])

# ---------------------------------------------------------------- readers

@pytest.mark.parametrize('kind', KINDS)
def test_missing_and_empty_folders(kind, tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'): load_items(kind, tmp_path / 'nowhere')
    (tmp_path / 'empty').mkdir()
    with pytest.raises((FileNotFoundError, ValueError)) as e: load_items(kind, tmp_path / 'empty')
    assert str(tmp_path / 'empty') in str(e.value)

@pytest.mark.parametrize('kind', ('camvid', 'sunrgbd', 'scenes', 'cityscapes'))
def test_empty_split_folders(kind, tmp_path):
    root = make(kind, tmp_path / kind)
    for img, mask in load_items(kind, root): img.unlink(); mask.unlink()
    with pytest.raises((ValueError, FileNotFoundError)) as e: load_items(kind, root)   # the scenes' train.txt still lists them
    assert ('no images found' if kind != 'scenes' else 'listed files do not exist') in str(e.value)
    for f in root.glob('*.txt'): f.unlink()
    with pytest.raises(ValueError, match='no images found'): load_items(kind, root)

@pytest.mark.parametrize('kind', KINDS)
def test_image_without_mask_and_mask_without_image(kind, tmp_path):
    root = make(kind, tmp_path / 'a')
    img, mask = load_items(kind, root)[1]
    mask.unlink()
    with pytest.raises(FileNotFoundError) as e: load_items(kind, root)
    assert img.stem.split('_leftImg8bit')[0] in str(e.value) or mask.name in str(e.value), e.value
    root = make(kind, tmp_path / 'b')
    img, mask = load_items(kind, root)[1]
    img.unlink()
    with pytest.raises(FileNotFoundError) as e: load_items(kind, root)
    assert mask.stem.split('_gtFine')[0] in str(e.value) or img.name in str(e.value), e.value

@pytest.mark.parametrize('kind', KINDS)
def test_image_mask_size_mismatch(kind, tmp_path):
    root = make(kind, tmp_path / kind)
    img, mask = load_items(kind, root)[0]
    save(mask, np.zeros((10, 12), np.uint8))
    with pytest.raises(ValueError) as e: seg_dataset(kind, root)[0]
    assert img.name in str(e.value) and mask.name in str(e.value) and '12×10' in str(e.value)

@pytest.mark.parametrize('kind', KINDS)
def test_label_values_out_of_range(kind, tmp_path):
    root = make(kind, tmp_path / kind)
    _, mask = load_items(kind, root)[0]
    m = np.zeros((24, 32), np.uint8); m[3, 4] = 200                 # 200: no dataset has it, none calls it void
    save(mask, m)
    with pytest.raises(ValueError) as e: seg_dataset(kind, root)[0]
    assert mask.name in str(e.value) and '200' in str(e.value)
    save(mask, np.full((24, 32), 255, np.uint8))                     # 255 is void everywhere: accepted
    assert set(seg_dataset(kind, root)[0][1].unique().tolist()) == {255}

@pytest.mark.parametrize('kind', KINDS)
def test_truncated_image_and_mask(kind, tmp_path):
    root = make(kind, tmp_path / kind)
    (img, mask), (img1, mask1) = load_items(kind, root)[:2]
    truncate(img)                                                    # VOC: a JPEG, the others PNG
    with pytest.raises(ValueError, match=f'{img.name}: cannot read image'): seg_dataset(kind, root)[0]
    truncate(mask1)
    with pytest.raises(ValueError, match=f'{mask1.name}: cannot read mask'): seg_dataset(kind, root)[1]

def test_rgb_mask_rejected(tmp_path):
    root = make('camvid', tmp_path / 'cv')
    _, mask = load_items('camvid', root)[0]
    save(mask, np.zeros((24, 32, 3), np.uint8))
    with pytest.raises(ValueError, match='one channel'): seg_dataset('camvid', root)[0]

def test_grayscale_rgba_16bit_palette_images_become_rgb(tmp_path):
    "The documented fallback: any image PIL reads becomes H×W×3 uint8."
    rng = np.random.default_rng(0)
    g = rng.integers(0, 256, (6, 7), dtype=np.uint8); save(tmp_path / 'g.png', g, 'L')
    a = rng.integers(0, 256, (6, 7, 4), dtype=np.uint8); save(tmp_path / 'a.png', a, 'RGBA')
    w = rng.integers(0, 4000, (6, 7)).astype(np.uint16); Image.fromarray(w).save(tmp_path / 'w.png')
    p = Image.fromarray(g % 4, 'P'); p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756); p.save(tmp_path / 'p.png')
    for f in ('g', 'a', 'w', 'p'):
        x = read_image(tmp_path / f'{f}.png'); assert x.shape == (6, 7, 3) and x.dtype == np.uint8, f
    x = read_image(tmp_path / 'g.png'); assert (x == g[..., None]).all()                    # gray copied to R, G, B
    assert (read_image(tmp_path / 'a.png') == a[..., :3]).all()                              # alpha dropped
    np.testing.assert_array_equal(read_image(tmp_path / 'w.png')[..., 0], (w / w.max() * 255).astype(np.uint8))   # scaled by its max
    assert (read_image(tmp_path / 'p.png')[g % 4 == 1] == [255, 0, 0]).all()                 # palette looked up

def test_split_errors(tmp_path):
    root = make('camvid', tmp_path / 'cv', n=6)
    for n in (0, 7):
        with pytest.raises(ValueError, match=f'n_labeled={n}'): segmentation_dls('camvid', root, n_labeled=n, bs=2)
    items = load_items('camvid', root)
    write_split(tmp_path / 'l.txt', items[:3], root); write_split(tmp_path / 'u.txt', items[2:], root)
    with pytest.raises(ValueError, match='share 1 images'): segmentation_dls('camvid', root, bs=2, split_files=(tmp_path / 'l.txt', tmp_path / 'u.txt'))
    (tmp_path / 'gone.txt').write_text('train/f0.png trainannot/f0.png\ntrain/zz.png trainannot/zz.png\n')
    with pytest.raises(FileNotFoundError, match='zz.png'): segmentation_dls('camvid', root, bs=2, split_files=(tmp_path / 'gone.txt', tmp_path / 'u.txt'))
    with pytest.raises(ValueError, match='fewer than the batch size'): segmentation_dls('camvid', root, n_labeled=4, bs=4)

# ---------------------------------------------------------------- console scripts

@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    return write_scenes(tmp_path_factory.mktemp('data') / 'scenes', n_train=12, n_val=4, n_test=0, size=(32, 32))

@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    "A 7-class resnet18 checkpoint (the scenes' classes) and variants whose meta lies about the weights."
    d = tmp_path_factory.mktemp('ck')
    meta = {'n_classes': 7, 'arch': 'resnet18', 'z_channels': 16, 'dataset': 'scenes', 'size': [32, 32]}
    f = save_checkpoint(d / 'model.pth', segmentation_net(7, 'resnet18', z_channels=16), meta)
    ck = torch.load(f, weights_only=True)
    torch.save(ck | {'meta': meta | {'n_classes': 5}}, d / 'classes5.pth')
    torch.save(ck | {'meta': meta | {'arch': 'resnet34'}}, d / 'resnet34.pth')
    return d

def test_train_flag_errors(scenes, tmp_path, monkeypatch, capsys):
    f = tmp_path / 'afile'; f.write_text('x')
    (tmp_path / 'empty').mkdir()
    cases = [(['--out', f], 'is a file'),
             (['--data-dir', tmp_path / 'nowhere'], 'nowhere'),
             (['--dataset', 'camvid', '--data-dir', tmp_path / 'empty'], 'folder not found'),
             (['--bs', '0'], '--bs 0'), (['--epochs', '0'], '--epochs 0'), (['--lr', '-1'], '--lr -1'),
             (['--n-labeled', '0'], '--n-labeled 0: must be at least 1'), (['--n-labeled', '13', '--data-dir', scenes], 'n_labeled=13'),
             (['--precision', 'fp64'], "--precision 'fp64'"), (['--sync-bn'], '--sync-bn'),
             (['--pretrained', f], 'not a PyTorch state_dict'), (['--split-dir', tmp_path / 'empty'], 'labeled.txt'),
             (['--init-from', tmp_path / 'nowhere.pth'], '--init-from'), (['--init-from', f, '--data-dir', scenes, *TINY[:-1]], 'afile is not a cct_nb checkpoint'),
             (['--init-from', tmp_path / 'empty', '--data-dir', scenes, *TINY[:-1]], 'no such checkpoint'),
             (['--init-from', f, '--domains', 'camvid,scenes'], '--init-from: not available with --domains'),
             (['--aux-init', 'copy'], "--aux-init 'copy': choose one of"), (['--aux-init', 'main', '--method', 'baseline'], '--aux-init main: only for --method cct'),
             (['--aux-init', 'main', '--domains', 'camvid,scenes'], '--aux-init: not available with --domains'),
             (['--class-balance', '-1'], '--class-balance -1.0'), (['--class-balance', '1', '--method', 'baseline'], '--class-balance: only for --method cct')]
    for i, (args, msg) in enumerate(cases):
        out = tmp_path / f'o{i}'
        code, _, err = cli(monkeypatch, capsys, train_main, '--quiet', *(['--out', out] if '--out' not in args else []), *args)
        assert code == 2 and msg in err and 'Traceback' not in err, (args, code, err)
        assert not (out / 'model.pth').exists()

def test_no_unlabeled_images(scenes, tmp_path, monkeypatch, capsys):
    code, _, err = cli(monkeypatch, capsys, train_main, '--data-dir', scenes, '--out', tmp_path / 'a', *TINY[2:], '--n-labeled', '12')
    assert code == 2 and 'all 12 training images are labeled' in err and '--method baseline' in err
    sd = tmp_path / 'split'; sd.mkdir()
    write_split(sd / 'labeled.txt', load_items('scenes', scenes)[:4], scenes); (sd / 'unlabeled.txt').write_text('')
    code, _, err = cli(monkeypatch, capsys, train_main, '--data-dir', scenes, '--out', tmp_path / 'b', *TINY[2:], '--split-dir', sd)
    assert code == 2 and 'needs unlabeled images' in err and 'empty unlabeled.txt' in err

def test_checkpoint_of_another_architecture_or_class_count(ckpt, scenes, tmp_path, monkeypatch, capsys):
    with pytest.raises(ValueError, match='classes5.pth: its weights do not fit the resnet18 network with 5 classes'): load_checkpoint(ckpt / 'classes5.pth')
    with pytest.raises(ValueError, match='resnet34.pth: its weights do not fit the resnet34'): load_checkpoint(ckpt / 'resnet34.pth')
    cv = write_fixture('camvid', tmp_path / 'cv')
    with pytest.raises(ValueError, match="predicts 7 classes but dataset 'camvid' has 11"): eval_run(ckpt / 'model.pth', 'camvid', cv)
    for main, args in ((eval_main, ['--checkpoint', ckpt / 'resnet34.pth', '--data-dir', scenes]),
                       (eval_main, ['--checkpoint', ckpt / 'model.pth', '--dataset', 'camvid', '--data-dir', cv]),
                       (predict_main, ['--checkpoint', ckpt / 'classes5.pth', '--images', cv / 'train', '--out', tmp_path / 'p'])):
        code, _, err = cli(monkeypatch, capsys, main, *args)
        assert code == 2 and 'Traceback' not in err and ('resnet34.pth' in err or 'classes5.pth' in err or "dataset 'camvid'" in err), err
    assert not (tmp_path / 'p').exists()

def test_eval_and_predict_flag_errors(ckpt, scenes, tmp_path, monkeypatch, capsys):
    f = tmp_path / 'afile'; f.write_text('x')
    for args, msg in ((['--bs', '0'], '--bs 0'), (['--out', f], 'is a file'), (['--split', 'nosuch'], 'nosuch')):
        code, _, err = cli(monkeypatch, capsys, eval_main, '--checkpoint', ckpt / 'model.pth', '--data-dir', scenes, *args)
        assert code == 2 and msg in err and 'Traceback' not in err, (args, err)
    imgs = tmp_path / 'imgs'; imgs.mkdir()
    for i in range(2): save(imgs / f'{i}.jpg', np.random.default_rng(i).integers(0, 256, (20, 30, 3), dtype=np.uint8))
    truncate(imgs / '1.jpg')                                       # the header reads: found by decoding, before writing anything
    code, _, err = cli(monkeypatch, capsys, predict_main, '--checkpoint', ckpt / 'model.pth', '--images', imgs, '--out', tmp_path / 'p')
    assert code == 2 and '1.jpg' in err and not (tmp_path / 'p').exists()
    (imgs / '1.jpg').unlink()
    code, _, err = cli(monkeypatch, capsys, predict_main, '--checkpoint', ckpt / 'model.pth', '--images', imgs, '--out', tmp_path / 'p', '--bs', '0')
    assert code == 2 and 'bs=0' in err

class _NaNAt(Callback):
    "Make the unlabeled batch NaN (so L_u is NaN) at one iteration."
    order = 6   # after `UnlabeledBatches` (5) appended x_u to xb
    def __init__(self, epoch, it): self.at = (epoch, it)
    def before_batch(self):
        if self.training and (self.epoch, self.iter) == self.at: self.learn.xb = (*self.xb[:-1], self.xb[-1] * float('nan'))

def test_loss_turning_nan_mid_training(scenes, tmp_path, monkeypatch, capsys):
    out = tmp_path / 'run'
    kw = dict(n_labeled=4, epochs=2, bs=4, z_channels=16, perturbations='noise:1')
    with pytest.raises(NonFiniteLossError) as e: train_run(out, 'cct', 'scenes', scenes, quiet=True, cbs=[_NaNAt(1, 1)], **kw)
    msg = str(e.value)
    assert 'epoch 2/2, iteration 2/2' in msg and 'L_u = nan' in msg and 'L_s = ' in msg and 'no checkpoint' in msg
    st = torch.load(out / 'train_state.pth', weights_only=True)
    assert st['epoch'] == 1 and all(torch.isfinite(v).all() for v in st['model'].values() if v.is_floating_point())
    assert not (out / 'model.pth').exists() and not (out / 'metrics.json').exists()
    before = (out / 'train_state.pth').read_bytes()
    code, _, err = cli(monkeypatch, capsys, train_main, '--data-dir', scenes, '--out', out, *TINY)      # not without --overwrite
    assert code == 2 and '--overwrite' in err and (out / 'train_state.pth').read_bytes() == before
    # resuming that state into another architecture: a clear error, not a load_state_dict traceback
    with pytest.raises(ValueError, match=r"train_state.pth does not fit this learner's CCTModel: size mismatch"):
        resume_run(out, force=True, quiet=True, z_channels=32)
    assert (out / 'train_state.pth').read_bytes() == before

def test_real_cli_nan_loss_truncated_image_bad_checkpoint(scenes, ckpt, tmp_path):
    "The installed executables (run side by side): exit codes and one-line messages."
    bad = tmp_path / 'scenes_bad'
    write_scenes(bad, n_train=12, n_val=4, n_test=0, size=(32, 32))
    victim = sorted((bad / 'train').glob('*.png'))[5]; truncate(victim)
    start = lambda exe, *a: subprocess.Popen([str(BIN / exe), *map(str, a)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    procs = [start('cct_nb_train', '--data-dir', scenes, '--out', tmp_path / 'nan', *TINY, '--lr', '1e30'),
             start('cct_nb_train', '--data-dir', bad, '--out', tmp_path / 'trunc', *TINY),
             start('cct_nb_eval', '--checkpoint', ckpt / 'classes5.pth', '--data-dir', scenes)]
    errs = [p.communicate(timeout=600)[1] for p in procs]
    (c1, e1), (c2, e2), (c3, e3) = [(p.returncode, e) for p, e in zip(procs, errs)]
    assert c1 == 3 and 'error: non-finite loss at epoch 1/2' in e1 and 'Traceback' not in e1, e1[-2000:]
    assert not (tmp_path / 'nan' / 'model.pth').exists()
    assert c2 == 2 and f'{victim.name}: cannot read image' in e2 and 'Traceback' not in e2, e2[-2000:]
    assert c3 == 2 and 'classes5.pth: its weights do not fit' in e3 and 'Traceback' not in e3, e3[-2000:]

def test_perturbation_specs_named_sets_and_errors():
    "parse_perturbations (lesson 06): the named sets, a dict, and a bad entry named in the error."
    from cct_nb.perturbations import parse_perturbations, make_perturbation, CCT_PERTURBATIONS, PERTURBATION_SETS
    from cct_nb.scenes import SCENE_STUFF
    assert parse_perturbations('cct') == CCT_PERTURBATIONS and parse_perturbations({'drop': 4, 'vat': 0}) == {'drop': 4}
    assert parse_perturbations(' Pointwise ') == {'vat': 2, 'noise': 14, 'dropout': 14} and sum(PERTURBATION_SETS['pointwise'].values()) == 30
    with pytest.raises(ValueError, match="'vat:two'"): parse_perturbations('vat:two')
    with pytest.raises(ValueError, match='no auxiliary decoder'): parse_perturbations('vat:0')
    with pytest.raises(ValueError, match="'pointwize'"): parse_perturbations('pointwize')
    assert make_perturbation('cutout', SCENE_STUFF, area=0.2, p=0.9).area == 0.2
