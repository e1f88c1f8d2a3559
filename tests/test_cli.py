"""The console scripts, as a user meets them: bad input ends in one clear line and a non-zero exit."""
import json, subprocess, sys
from pathlib import Path
from conftest import BIN
from cct_nb.data import write_fixture

def run(*args, cwd=None):
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd, timeout=600)

def test_train_needs_data_dir_for_real_datasets(tmp_path):
    r = run('cct_nb_train', '--dataset', 'camvid', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and '--data-dir' in r.stderr and 'Traceback' not in r.stderr

def test_train_missing_data_dir_names_it(tmp_path):
    r = run('cct_nb_train', '--dataset', 'camvid', '--data-dir', str(tmp_path / 'nowhere'), '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and str(tmp_path / 'nowhere') in r.stderr

def test_train_unknown_dataset_and_bad_size(tmp_path):
    r = run('cct_nb_train', '--dataset', 'pascal', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and 'unknown' in r.stderr
    r = run('cct_nb_train', '--size', 'big', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and '--size' in r.stderr

def test_train_n_labeled_out_of_range(tmp_path):
    r = run('cct_nb_train', '--n-labeled', '0', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and '--n-labeled 0: must be at least 1' in r.stderr
    r = run('cct_nb_train', '--n-labeled', '100000', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and 'n_labeled=100000' in r.stderr

def test_eval_missing_and_corrupt_checkpoint(tmp_path):
    r = run('cct_nb_eval', '--checkpoint', str(tmp_path / 'none.pth'))
    assert r.returncode == 2 and 'none.pth' in r.stderr
    (tmp_path / 'bad.pth').write_bytes(b'garbage')
    r = run('cct_nb_eval', '--checkpoint', str(tmp_path / 'bad.pth'))
    assert r.returncode == 2 and 'bad.pth' in r.stderr

def test_train_then_eval_round_trip_and_no_overwrite(tmp_path):
    out = tmp_path / 'run'
    r = run('cct_nb_train', '--method', 'baseline', '--n-labeled', '8', '--epochs', '1', '--size', '32,48', '--bs', '4',
            '--z-channels', '32', '--out', str(out), '--quiet')
    assert r.returncode == 0, r.stderr
    m = json.loads((out / 'metrics.json').read_text())
    assert 'val mIoU' in r.stdout and f"{100 * m['miou']:.1f}" in r.stdout
    r2 = run('cct_nb_eval', '--checkpoint', str(out / 'model.pth'), '--out', str(tmp_path / 'ev'))
    assert r2.returncode == 0, r2.stderr
    assert abs(json.loads((tmp_path / 'ev' / 'metrics.json').read_text())['miou'] - m['miou']) < 1e-9
    before = (out / 'metrics.json').read_text()
    r3 = run('cct_nb_train', '--method', 'baseline', '--n-labeled', '8', '--epochs', '1', '--out', str(out), '--quiet')
    assert r3.returncode == 2 and '--overwrite' in r3.stderr
    assert (out / 'metrics.json').read_text() == before          # nothing was overwritten

def test_output_stride_16_trains_cct_and_its_checkpoint_evaluates_alike(tmp_path):
    "`--output-stride 16`: CCT trains with a 1/16 grid of z, run.json and the checkpoint say so, and cct_nb_eval rebuilds that network."
    out = tmp_path / 'os16'
    r = run('cct_nb_train', '--n-labeled', '8', '--epochs', '1', '--size', '64,96', '--bs', '4', '--z-channels', '16', '--output-stride', '16',
            '--perturbations', 'noise:1,vat:1,object:1', '--out', str(out), '--quiet')
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((out / 'metrics.json').read_text())
    assert m['config']['output_stride'] == 16 and 0 <= m['miou'] <= 1
    import torch
    ck = torch.load(out / 'model.pth', weights_only=True)
    assert ck['meta']['output_stride'] == 16
    r2 = run('cct_nb_eval', '--checkpoint', str(out / 'model.pth'), '--out', str(tmp_path / 'ev'))
    assert r2.returncode == 0, r2.stderr
    assert abs(json.loads((tmp_path / 'ev' / 'metrics.json').read_text())['miou'] - m['miou']) < 1e-9
    r3 = run('cct_nb_train', '--output-stride', '32', '--out', str(tmp_path / 'o32'), '--quiet')
    assert r3.returncode == 2 and '--output-stride 32: choose one of 8, 16' in r3.stderr and not (tmp_path / 'o32').exists()

def test_preset_trains_its_regime_and_flags_beside_it_win(tmp_path):
    "`--preset camvid-overfit` on a tiny CamVid-shaped folder: the preset's options reach run.json (both arms of --compare), the flags given win."
    import numpy as np
    from PIL import Image
    from cct_nb.config import run_preset
    root = write_fixture('camvid', tmp_path / 'cv', n=12, size=(16, 16))
    for f in root.glob('*annot/*.png'): Image.fromarray(np.asarray(Image.open(f)) % 11).save(f)   # no void pixels
    out = tmp_path / 'run'
    r = run('cct_nb_train', '--preset', 'camvid-overfit', '--data-dir', str(root), '--n-labeled', '4', '--epochs', '1', '--size', '16,16',
            '--z-channels', '16', '--perturbations', 'noise:1,drop:1', '--seed', '3', '--compare', '--out', str(out), '--quiet')
    assert r.returncode == 0, r.stderr[-2000:]
    _, regime = run_preset('camvid-overfit')
    given = dict(n_labeled=4, epochs=1, size=[16, 16], z_channels=16, seed=3)
    for arm in (out, out / 'baseline'):
        run_json = json.loads((arm / 'run.json').read_text())
        assert run_json['dataset'] == 'camvid'
        cfg = run_json['config']
        for k, v in regime.items(): assert cfg[k] == given.get(k, list(v) if isinstance(v, tuple) else v), (arm, k, cfg[k])
        for k, v in given.items(): assert cfg[k] == v, (arm, k)
        d = json.loads((arm / 'metrics.json').read_text())['diagnostics']     # the preset's --diagnose: the labeled-set curve beside val's
        assert [r['epoch'] for r in d['labeled_miou']] == [1] == [r['epoch'] for r in d['val_miou']] and 0 <= d['labeled_miou'][0]['miou'] <= 1
    assert (out / 'labeled.txt').read_text() == (out / 'baseline' / 'labeled.txt').read_text()   # the pair shares its split
    assert 'CCT - baseline' in r.stdout

def test_preset_refuses_what_it_cannot_be(tmp_path):
    r = run('cct_nb_train', '--preset', 'camvid-gpu', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and "--preset 'camvid-gpu' unknown" in r.stderr and 'camvid-overfit' in r.stderr
    r = run('cct_nb_train', '--preset', 'camvid-overfit', '--dataset', 'scenes', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and 'trains on camvid, not --dataset scenes' in r.stderr
    r = run('cct_nb_train', '--preset', 'camvid-overfit', '--resume', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and 'not with --domains, nor with --resume' in r.stderr
    r = run('cct_nb_train', '--preset', 'camvid-overfit', '--out', str(tmp_path / 'o'), '--quiet')
    assert r.returncode == 2 and '--data-dir' in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path / 'o').exists()

def test_pretrain_then_train_from_its_backbone(tmp_path):
    "`cct_nb_pretrain` writes a backbone without labels; `cct_nb_train --pretrained` trains from it; bad input ends in one line."
    pre = tmp_path / 'pre'
    r = run('cct_nb_pretrain', '--size', '32,48', '--epochs', '1', '--bs', '8', '--out', str(pre), '--quiet')
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((pre / 'metrics.json').read_text())
    assert 'chance level' in r.stdout and len(m['train_loss']) == 1 and m['n_train'] + m['n_valid'] == m['n_images']
    out = tmp_path / 'run'
    r = run('cct_nb_train', '--method', 'baseline', '--n-labeled', '8', '--epochs', '1', '--size', '32,48', '--bs', '4', '--z-channels', '32',
            '--pretrained', str(pre / 'backbone.pth'), '--out', str(out), '--quiet')
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / 'run.json').read_text())['config']['pretrained'] == str(pre / 'backbone.pth')
    r = run('cct_nb_train', '--method', 'baseline', '--arch', 'resnet50', '--pretrained', str(pre / 'backbone.pth'), '--out', str(tmp_path / 'r50'), '--quiet')
    assert r.returncode == 2 and 'not a resnet50 state_dict' in r.stderr and 'Traceback' not in r.stderr   # a resnet18 file for another backbone ...
    assert not (tmp_path / 'r50').exists()                                      # ... refused before the run folder is made
    for args, msg in ((['--out', str(pre)], '--overwrite'), (['--dataset', 'camvid', '--out', str(tmp_path / 'c')], '--data-dir'),
                      (['--size', 'big', '--out', str(tmp_path / 's')], '--size'), (['--epochs', '0', '--out', str(tmp_path / 'e')], '--epochs 0'),
                      (['--arch', 'vgg16', '--out', str(tmp_path / 'a')], "--arch 'vgg16'"), (['--tau', '0', '--out', str(tmp_path / 't')], '--tau 0.0: must be positive')):
        r = run('cct_nb_pretrain', *args, '--quiet')
        assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, (args, r.stderr[-500:])
        assert not Path(args[-1]).exists() or Path(args[-1]) == pre                  # refused before anything is written
