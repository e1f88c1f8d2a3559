"""Issue 33's speed options, each against float32 eager on a tiny model, and the record of benchmarks/train_step.py.

channels-last and torch.compile change how the step is computed, not what: the loss and every gradient stay within
float32 rounding of the eager step (stated tolerances below). bfloat16 autocast changes the arithmetic itself; its test,
with the lean step kept under autocast, is in nbs/reference/lean_step.ipynb. The official implementation's path of the
benchmark needs a clone of it (`--official DIR`) and is not run here.
"""
import json, subprocess, sys
from pathlib import Path
import pytest, torch
import torch.nn.functional as F
from conftest import ROOT
from cct_nb.data import DATASETS
from cct_nb.train import cct_model, CCTLoss

def cct_step(option:str, seed:int=0):
    "Loss and gradients of one lean CCT step of a small network with speed `option` ('fp32', 'channels_last' or 'compile')."
    torch.manual_seed(seed)
    m = cct_model(DATASETS['scenes'], 'resnet18', z_channels=16, perturbations={'noise': 1, 'dropout': 1, 'cutout': 1, 'vat': 1}).train()
    g = torch.Generator().manual_seed(3)
    xl, xu, y = torch.randn(2, 3, 32, 48, generator=g), torch.randn(2, 3, 32, 48, generator=g), torch.randint(0, 7, (2, 32, 48), generator=g)
    if option == 'channels_last':
        m = m.to(memory_format=torch.channels_last); xl, xu = (t.contiguous(memory_format=torch.channels_last) for t in (xl, xu))
    if option == 'compile': m.encoder.compile()
    lf = CCTLoss(7); lf.w_u = 30.
    torch.manual_seed(1)
    L = lf(m(xl, xu), y); L.backward()
    return L.item(), {n: p.grad.detach().clone() for n, p in m.named_parameters() if p.grad is not None}

@pytest.mark.parametrize('option', ['channels_last', 'compile'])
def test_speed_option_computes_the_eager_step(option):
    "Loss to 1e-5 (relative) and every parameter's gradient to 1e-3 of its largest entry (float32 sums in another order)."
    L0, g0 = cct_step('fp32')
    L1, g1 = cct_step(option)
    assert L1 == pytest.approx(L0, rel=1e-5)
    assert g1.keys() == g0.keys()
    for n in g0: assert torch.allclose(g1[n], g0[n], rtol=1e-3, atol=1e-3 * max(1e-12, g0[n].abs().max().item())), n

def test_compile_flag_keeps_checkpoint_names():
    "In-place `compile()` (what --compile does) keeps the weights' names, so checkpoints and --resume read as before."
    torch.manual_seed(0)
    m = cct_model(DATASETS['scenes'], 'resnet18', z_channels=16, perturbations={'noise': 1})
    names = list(m.state_dict())
    m.encoder.compile()
    assert list(m.state_dict()) == names

def run_bench(tmp_path, *args):
    out = tmp_path / 'ts.json'
    r = subprocess.run([sys.executable, '-m', 'benchmarks.train_step', '--out', str(out), *args],
                       capture_output=True, text=True, cwd=ROOT)
    return r, out

def test_record_of_the_step_benchmark(tmp_path):
    "A tiny run: one record with command, commit, machine, each configuration's time and memory, the ratios and the table."
    r, out = run_bench(tmp_path, '--arch', 'resnet18', '--z-channels', '16', '--sizes', '32', '--options', 'fp32,channels_last,bf16',
                       '--steps', '1', '--warmup', '0', '--threads', '1')
    assert r.returncode == 0, r.stderr[-3000:]
    d = json.loads(out.read_text())
    assert {'command', 'commit', 'machine', 'seed', 'setting', 'results', 'targets', 'table_markdown'} <= set(d)
    assert d['official'] is None and 'bf16' in d['machine']
    res = d['results']['32']
    assert set(res) == {'fp32', 'channels_last', 'bf16'}
    for o, r_ in res.items():
        assert r_['cct_nb:semi']['median_s'] > 0 and r_['cct_nb:sup']['peak_rss_mib'] > 0
        assert 'cct_nb_semi_over_sup' in r_['ratios'] and 'semi_speedup' not in r_['ratios']   # nothing against the official code unmeasured
    assert 'cct_nb_semi_straight_over_lean' in res['fp32']['ratios'] and res['fp32']['cct_nb:decoders']['aux_lean']['x_main'] > 0
    assert 'official' not in d['table_markdown'].split('\n', 2)[2].replace('—', '')   # no official figure in the rows

def test_step_benchmark_against_another_checkout(tmp_path):
    "`--against DIR`: another checkout's steps (here this very checkout, so the ratios are near 1) run interleaved, recorded with its commit."
    r, out = run_bench(tmp_path, '--arch', 'resnet18', '--z-channels', '16', '--sizes', '32', '--options', 'fp32', '--no-extras',
                       '--steps', '2', '--warmup', '1', '--threads', '1', '--against', str(ROOT))
    assert r.returncode == 0, r.stderr[-3000:]
    d = json.loads(out.read_text())
    assert d['against']['dir'] == str(ROOT) and d['against']['commit']
    q = d['results']['32']['fp32']
    assert q['against:semi']['median_s'] > 0 and q['against:sup']['peak_rss_mib'] > 0
    assert 0.2 < q['ratios']['semi_against_over_this'] < 5 and 0.2 < q['ratios']['sup_against_over_this'] < 5

@pytest.mark.parametrize('args, message', [
    (['--options', 'fp64'], "--options must be among"),
    (['--sizes', '30'], 'multiples of 8'),
    (['--official', '/nonexistent/clone'], '--official /nonexistent/clone: no such folder'),
    (['--against', '/nonexistent/checkout'], '--against /nonexistent/checkout: not a checkout of cct_nb'),
])
def test_bad_arguments_are_named(tmp_path, args, message):
    r, out = run_bench(tmp_path, *args)
    assert r.returncode == 2 and message in r.stderr and not out.exists()

def test_official_clone_that_does_not_import_gets_the_fix_named(tmp_path):
    "A folder with the official layout whose utils/losses.py mixes tabs and spaces: the child names the file and the commit that imports."
    (tmp_path / 'models').mkdir(); (tmp_path / 'models' / 'model.py').write_text('')
    (tmp_path / 'utils').mkdir(); (tmp_path / 'utils' / '__init__.py').write_text('')
    (tmp_path / 'utils' / 'losses.py').write_text('def f():\n\tif 1:\n        return 1\n')
    from benchmarks import train_step
    try:
        with pytest.raises(SystemExit, match=r'utils/losses.py does not import .*checkout ef938b5 -- utils/losses.py'):
            train_step.import_official(tmp_path)
    finally:
        for m in [k for k in sys.modules if k == 'utils' or k.startswith('utils.')]: del sys.modules[m]
