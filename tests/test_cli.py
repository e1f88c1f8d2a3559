"""The console scripts, as a user meets them: bad input ends in one clear line and a non-zero exit."""
import json, subprocess, sys
from pathlib import Path
from conftest import BIN

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
