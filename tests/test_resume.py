"""Crash-safe training: `kill -9` a real `cct_nb_train` process mid-run, `--resume` it, and get the uninterrupted run's result."""
import json, os, signal, subprocess, time
from pathlib import Path
import pytest, torch
from conftest import BIN
from cct_nb.scenes import write_scenes

FLAGS = ['--n-labeled', '8', '--epochs', '4', '--bs', '4', '--z-channels', '32', '--perturbations', 'noise:1,drop:1', '--diagnose', '--quiet']
ENV = os.environ | {'OMP_NUM_THREADS': '1'}          # the same thread count in every process: bit-identical arithmetic

@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    return write_scenes(tmp_path_factory.mktemp('data') / 'scenes', n_train=24, n_val=8, n_test=0, size=(32, 48))

def train(*args):
    return subprocess.run([str(BIN / 'cct_nb_train'), *args], capture_output=True, text=True, env=ENV, timeout=900)

def saved_epoch(state: Path):
    try: return torch.load(state, map_location='cpu', weights_only=True)['epoch']
    except Exception: return 0                                   # not there yet (the rename is atomic, so never half-written)

def test_sigkill_then_resume_matches_uninterrupted_run(scenes, tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    r = train('--data-dir', str(scenes), '--out', str(full), *FLAGS)
    assert r.returncode == 0, r.stderr
    p = subprocess.Popen([str(BIN / 'cct_nb_train'), '--data-dir', str(scenes), '--out', str(killed), *FLAGS],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    t0 = time.time()
    while saved_epoch(killed / 'train_state.pth') < 2:           # let it finish two of its four epochs ...
        assert p.poll() is None, 'the run ended before it could be killed'
        assert time.time() - t0 < 600, 'no checkpoint after 10 minutes'
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()                      # ... then kill it without warning
    assert p.returncode == -signal.SIGKILL and not (killed / 'metrics.json').exists()
    r = train('--resume', str(killed), '--epochs', '5')          # a changed flag is refused and named
    assert r.returncode == 2 and 'epochs=4' in r.stderr and 'epochs=5' in r.stderr and 'Traceback' not in r.stderr
    r = train('--resume', str(killed), '--quiet')
    assert r.returncode == 0, r.stderr
    assert 'resumed after epoch' in r.stdout
    a, b = (json.loads((d / 'metrics.json').read_text()) for d in (full, killed))
    assert b['resumed_from_epoch'] >= 2
    assert a['miou'] == pytest.approx(b['miou'], abs=1e-6) and a['per_class_iou'] == pytest.approx(b['per_class_iou'], abs=1e-6)
    wa, wb = (torch.load(d / 'model.pth', map_location='cpu', weights_only=True)['model'] for d in (full, killed))
    assert wa.keys() == wb.keys()
    for k in wa: assert torch.allclose(wa[k].float(), wb[k].float(), atol=1e-5), k
    assert (full / 'labeled.txt').read_text() == (killed / 'labeled.txt').read_text()
    for curve in ('val_miou', 'labeled_miou'):                   # --diagnose's per-epoch curves: each epoch once, as uninterrupted
        assert [r['epoch'] for r in b['diagnostics'][curve]] == [1, 2, 3, 4], curve
        assert [r['miou'] for r in a['diagnostics'][curve]] == pytest.approx([r['miou'] for r in b['diagnostics'][curve]], abs=1e-6), curve
    assert [r['epoch'] for r in b['diagnostics']['head_lag']] == [0, 1, 2, 3, 4]      # head lag: before training, then once per epoch
    assert [r['all']['lag'] for r in a['diagnostics']['head_lag']] == pytest.approx([r['all']['lag'] for r in b['diagnostics']['head_lag']], abs=1e-6)
    assert not (killed / 'train_state.pth').exists()

def test_resume_errors(tmp_path):
    r = train('--resume', str(tmp_path / 'nowhere'))
    assert r.returncode == 2 and 'nowhere' in r.stderr
    r = train('--resume', str(tmp_path))
    assert r.returncode == 2 and 'run.json' in r.stderr and 'Traceback' not in r.stderr
