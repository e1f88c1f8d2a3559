"""`cct_nb_train --domains` (§3.4) as a user meets it: a tiny two-domain run end to end, and bad input in one clear line.
The console entry point runs in-process (its argv parsing included) to keep these tests fast."""
import json, sys
import pytest
from cct_nb.cli import train_main
from cct_nb.data import write_fixture

def run(monkeypatch, capsys, *args):
    "Run `cct_nb_train ARGS`; returns (exit code, stdout, stderr)."
    monkeypatch.setattr(sys, 'argv', ['cct_nb_train', *map(str, args)])
    code = 0
    try: train_main()
    except SystemExit as e: code = e.code
    o = capsys.readouterr()
    return code, o.out, o.err

def test_two_domains_with_adversarial_branch_and_domain_bn(tmp_path, monkeypatch, capsys):
    cv, sun = write_fixture('camvid', tmp_path / 'cv', n=6, size=(32, 48)), write_fixture('sunrgbd', tmp_path / 'sun', n=6, size=(32, 48))
    out = tmp_path / 'run'
    code, so, se = run(monkeypatch, capsys, '--domains', 'camvid:2,sunrgbd:2', '--data-dir', f'camvid={cv},sunrgbd={sun}', '--adversarial', '--domain-bn',
                       '--epochs', '1', '--size', '32,48', '--bs', '2', '--z-channels', '16', '--perturbations', 'noise:1', '--out', out, '--quiet')
    assert code == 0, se
    m = json.loads((out / 'metrics.json').read_text())
    assert m['adversarial'] and m['domain_bn'] and m['domains'].keys() == {'camvid', 'sunrgbd'} and m['n_labeled'] == {'camvid': 2, 'sunrgbd': 2}
    assert f"average mIoU {100 * m['miou_avg']:.1f}" in so and 'sunrgbd: val mIoU' in so
    assert m['iterations'] == 2 * 2        # 2 domains × 2 steps (4 unlabeled images / bs 2)
    assert (out / 'model_camvid.pth').is_file() and (out / 'model_sunrgbd.pth').is_file()

@pytest.mark.parametrize('args,msg', [
    (['--domains', 'camvid,kitti', '--data-dir', '.'], "'kitti'"),
    (['--domains', 'camvid,scenes'], '--data-dir camvid=PATH'),
    (['--domains', 'camvid,scenes', '--data-dir', 'camvid=/nowhere/cv'], '/nowhere/cv'),
    (['--domains', 'camvid,scenes', '--dataset', 'voc', '--data-dir', '.'], '--dataset'),
    (['--adversarial'], '--domains'),
    (['--domain-bn'], '--domains'),
])
def test_domains_bad_input_is_one_clear_line(tmp_path, monkeypatch, capsys, args, msg):
    code, so, se = run(monkeypatch, capsys, *args, '--out', tmp_path / 'o', '--quiet')
    assert code == 2 and msg in se and se.startswith('error:') and len(se.strip().splitlines()) == 1
    assert not (tmp_path / 'o').exists()
