"Benchmark scripts' bookkeeping (no training): merging per-seed records and naming the CamVid grid's cells."
import json, statistics, sys
import numpy as np
from pathlib import Path
import pytest

from conftest import ROOT
from benchmarks import cct_vs_baseline, camvid   # the repository root is on pytest's path (pytest.ini)

def _record(seeds, gaps, config=None):
    runs = [{'seed': s, 'cct_miou': 0.5 + g, 'baseline_miou': 0.5, 'gap': g, 'cct_seconds': 1.0, 'baseline_seconds': 1.0,
             'run_dir': f'runs/x_seed{s}'} for s, g in zip(seeds, gaps)]
    return {'benchmark': 'cct_vs_baseline', 'dataset': 'scenes', 'scenes_version': 2, 'config': config or {'epochs': 16, 'lr': 0.003},
            'seeds': list(seeds), 'runs': runs, 'wall_seconds': 10.0, 'command': 'python x', 'machine': {'cores': 2}}

def _write(tmp_path, name, rec):
    p = tmp_path / name; p.write_text(json.dumps(rec)); return p

def test_merge_joins_seeds_and_recomputes_statistics(tmp_path):
    a = _write(tmp_path, 'a.json', _record([2], [-0.01]))
    b = _write(tmp_path, 'b.json', _record([0, 1], [0.03, 0.02]))
    res = cct_vs_baseline.merge([a, b])
    assert res['seeds'] == [0, 1, 2]                                       # sorted by seed, every run kept
    assert [r['gap'] for r in res['runs']] == [0.03, 0.02, -0.01]
    assert res['gap']['mean'] == pytest.approx(statistics.mean([0.03, 0.02, -0.01]))
    assert res['gap']['std'] == pytest.approx(statistics.stdev([0.03, 0.02, -0.01]))
    assert res['cct_miou']['mean'] == pytest.approx(0.5 + 0.04 / 3)
    assert res['wall_seconds'] == 20.0 and len(res['merged_from']) == 2
    assert res['config'] == {'epochs': 16, 'lr': 0.003}

def test_merge_refuses_a_seed_twice_or_two_configurations(tmp_path):
    a = _write(tmp_path, 'a.json', _record([0], [0.01]))
    b = _write(tmp_path, 'b.json', _record([0, 1], [0.02, 0.03]))
    with pytest.raises(SystemExit, match=r'b\.json: seed 0 is already in .*a\.json'): cct_vs_baseline.merge([a, b])
    c = _write(tmp_path, 'c.json', _record([1], [0.02], config={'epochs': 8, 'lr': 0.003}))
    with pytest.raises(SystemExit, match=r'c\.json: its config differs'): cct_vs_baseline.merge([a, c])
    with pytest.raises(SystemExit, match=r'missing\.json'): cct_vs_baseline.merge([a, tmp_path / 'missing.json'])

def test_merging_a_merged_record_keeps_every_seeds_command_and_machine(tmp_path):
    a, b = _record([0], [0.01]), _record([1], [0.02])
    a['machine'], b['machine'], a['command'] = {'cpu': 'AMD EPYC'}, {'cpu': 'AMD EPYC'}, 'python train seed 0'
    ab = cct_vs_baseline.merge([_write(tmp_path, 'a.json', a), _write(tmp_path, 'b.json', b)])
    c = _record([2], [-0.01]) | {'machine': {'cpu': 'Intel Xeon'}}
    res = cct_vs_baseline.merge([_write(tmp_path, 'ab.json', ab), _write(tmp_path, 'c.json', c)])
    assert [(m['seeds'], m['machine']['cpu']) for m in res['merged_from']] == [([0], 'AMD EPYC'), ([1], 'AMD EPYC'), ([2], 'Intel Xeon')]
    assert res['merged_from'][0]['command'] == 'python train seed 0' and res['merged_from'][0]['file'].endswith('a.json')
    assert res['seeds'] == [0, 1, 2] and res['gap']['mean'] == pytest.approx(0.02 / 3)
    assert ab['machine'] == {'cpu': 'AMD EPYC'}                                  # one CPU: named as it is
    assert res['machine'] == {'cpu': 'AMD EPYC + Intel Xeon'}                     # two CPUs: both, never just the first part's

def test_camvid_seed_cells_follow_the_seeds_given():
    names = [c[0] for c in camvid.cells(['seeds'], seeds=(3, 4))]
    assert names == ['n50_baseline_seed3', 'n50_cct_seed3', 'n50_baseline_seed4', 'n50_cct_seed4']
    assert {c[3] for c in camvid.cells(['seeds'])} == {1, 2}               # the default: the seeds already in the grid
    assert all(c[4] == dict(n_labeled=50) or c[4]['perturbations'] == 'cct' for c in camvid.cells(['seeds'], seeds=(3,)))

def test_camvid_dropout_seed_cells_are_named_like_fig5s():
    cs = camvid.cells(['dropout_seeds'], seeds=(1, 2))
    assert [c[0] for c in cs] == ['n50_dropout2_seed1', 'n50_dropout2_seed2']      # seed 0 is fig5's n50_dropout2_seed0
    assert all(c[2] == 'cct' and c[4] == dict(n_labeled=50, perturbations='dropout:2') for c in cs)
    with pytest.raises(ValueError, match='nope'): camvid.cells(['nope'])

def test_camvid_confmask_seed_cells_are_named_like_table6s():
    cs = camvid.cells(['confmask_seeds'], seeds=(1, 3))
    assert [c[0] for c in cs] == ['n50_cct_confmask_seed1', 'n50_cct_confmask_seed3']   # seed 0 is table6's n50_cct_confmask_seed0
    assert all(c[2] == 'cct' and c[3] == s and c[4] == dict(n_labeled=50, conf_mask=0.5) for c, s in zip(cs, (1, 3)))

def test_camvid_long_seed_cells_train_longer_and_are_named_apart():
    cs = camvid.cells(['long_seeds'], seeds=(25, 26))
    assert [c[0] for c in cs] == ['n50_baseline_12ep_seed25', 'n50_cct_12ep_seed25', 'n50_baseline_12ep_seed26', 'n50_cct_12ep_seed26']
    assert [c[2] for c in cs] == ['baseline', 'cct'] * 2 and [c[3] for c in cs] == [25, 25, 26, 26]
    assert all((camvid.CPU_CONFIG | c[4])['epochs'] == 12 == 4 * camvid.CPU_CONFIG['epochs'] for c in cs)
    assert all({k: v for k, v in c[4].items() if k != 'epochs'} == s[4] for c, s in zip(cs, camvid.cells(['seeds'], seeds=(25, 26))))   # else as `seeds`
    assert not {c[0] for c in cs} & {c[0] for c in camvid.cells(list(camvid.GRID_GROUPS), seeds=(25, 26))}   # no cell name shared with another group
    assert 'long_seeds' not in camvid.GRID_GROUPS and set(camvid.GRID_GROUPS) | {'long_seeds'} == set(camvid.GROUPS)
    assert camvid.records_file(['seeds']) == camvid.GRID_OUT and camvid.records_file(['long_seeds']) == camvid.LONG_OUT
    assert camvid.records_file(['long_seeds'], '/tmp/l.jsonl') == '/tmp/l.jsonl'
    with pytest.raises(ValueError, match='run long_seeds alone'): camvid.records_file(['seeds', 'long_seeds'])
    with pytest.raises(ValueError, match=r'--out x/camvid_grid\.jsonl'): camvid.records_file(['long_seeds'], 'x/camvid_grid.jsonl')

def test_fit_diagnosis_refuses_a_folder_that_is_not_a_paired_run(tmp_path, monkeypatch):
    from benchmarks import fit_diagnosis
    monkeypatch.setattr(sys, 'argv', ['fit_diagnosis.py', '--runs', str(tmp_path / 'nope'), '--out', str(tmp_path / 'o.json')])
    with pytest.raises(SystemExit, match=r'--runs .*nope: no run.json there'): fit_diagnosis.main()
    (tmp_path / 'run').mkdir(); (tmp_path / 'run' / 'run.json').write_text(json.dumps({'dataset': 'scenes', 'data_dir': str(tmp_path), 'config': {}}))
    for f in ('labeled.txt', 'unlabeled.txt'): (tmp_path / 'run' / f).write_text('')
    with pytest.raises(SystemExit, match=r'model\.pth: no checkpoint'): fit_diagnosis.diagnose(tmp_path / 'run', 10)
    assert not (tmp_path / 'o.json').exists()

def test_baselines_are_reused_only_from_a_configuration_that_trains_the_same_baseline(tmp_path):
    cfg = {'epochs': 16, 'lr': 0.003, 'lambda_u': None, 'rampup_u': None}
    f = _write(tmp_path, 'base.json', _record([0, 2], [0.01, -0.1], config=cfg))
    got = cct_vs_baseline.paired_baselines(f, 'scenes', cfg | {'rampup_u': 0.5, 'lambda_u': 10, 'sup_loss': 'abce'})   # CCT's own options may differ
    assert sorted(got) == [0, 2] and got[2]['baseline_miou'] == 0.5
    with pytest.raises(SystemExit, match=r'base\.json: its baseline was trained with other epochs'):
        cct_vs_baseline.paired_baselines(f, 'scenes', cfg | {'epochs': 8})
    with pytest.raises(SystemExit, match='not a cct_vs_baseline record of camvid'): cct_vs_baseline.paired_baselines(f, 'camvid', cfg)

def test_fit_diagnosis_scores_a_constant_network_exactly(tmp_path):
    "Zero logits: every non-void pixel costs log C and is predicted as class 0, so accuracy is class 0's share."
    import math, torch
    from benchmarks import fit_diagnosis
    from cct_nb.data import write_fixture, load_items, seg_dataset, dataset_info
    root = write_fixture('camvid', tmp_path / 'cv')
    items = load_items('camvid', root, 'val'); info = dataset_info('camvid')
    class Zero(torch.nn.Module):
        def __init__(self): super().__init__(); self.p = torch.nn.Parameter(torch.zeros(1))
        def forward(self, x): return torch.zeros(x.shape[0], info.n_classes, *x.shape[-2:]) * self.p
    s = fit_diagnosis.scores(Zero(), items, 'camvid', root, None, bs=2)
    assert s['ce'] == pytest.approx(math.log(info.n_classes), rel=1e-6) and s['images'] == len(items)
    y = torch.cat([torch.as_tensor(seg_dataset('camvid', root, items=items)[i][1]).as_subclass(torch.Tensor).flatten() for i in range(len(items))])
    valid = y != info.ignore_index
    assert s['pixel_acc'] == pytest.approx((y[valid] == 0).float().mean().item())
    assert all(v in (None, 0.0) for c, v in s['per_class_iou'].items() if c != info.classes[0])

def test_baseline_from_trains_only_cct_and_pairs_each_seed_with_its_own_baseline(tmp_path, monkeypatch):
    "The main path of --baseline-from, with training stubbed: no baseline is trained, each gap is CCT − that seed's baseline."
    from cct_nb.config import run_config
    cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in run_config('scenes').items() if k != 'split_files'}
    base = _record([0, 1], [0.0, 0.0], config=cfg)
    base['runs'][0]['baseline_miou'], base['runs'][1]['baseline_miou'] = 0.40, 0.60
    base['runs'][0]['baseline_curve'] = [0.35, 0.40]                        # the reused baseline's curve comes with it
    f = _write(tmp_path, 'base.json', base)
    calls = []
    def fake_train_run(run_dir, method, dataset, data_dir, compare, **kw):
        calls.append((compare, kw['seed'], kw.get('conf_mask')))
        return {'miou': 0.50 + kw['seed'] / 100, 'seconds': 3.0}
    monkeypatch.setattr(cct_vs_baseline, 'train_run', fake_train_run)
    out = tmp_path / 'o.json'
    monkeypatch.setattr(sys, 'argv', ['cct_vs_baseline.py', '--seeds', '0', '1', '--set', 'conf_mask=0.5', '--baseline-from', str(f),
                                      '--runs', str(tmp_path / 'runs'), '--out', str(out)])
    cct_vs_baseline.main()
    assert calls == [(False, 0, 0.5), (False, 1, 0.5)]                       # CCT only, with its own option
    res = json.loads(out.read_text())
    assert [r['baseline_miou'] for r in res['runs']] == [0.40, 0.60]
    assert [r['baseline_curve'] for r in res['runs']] == [[0.35, 0.40], []]
    assert [r['gap'] for r in res['runs']] == pytest.approx([0.10, -0.09])
    assert res['gap']['mean'] == pytest.approx(0.005) and res['config']['conf_mask'] == 0.5
    monkeypatch.setattr(sys, 'argv', ['cct_vs_baseline.py', '--seeds', '2', '--baseline-from', str(f), '--runs', str(tmp_path / 'runs'),
                                      '--out', str(tmp_path / 'o2.json')])
    with pytest.raises(SystemExit, match=r'base\.json: no seed \[2\]'): cct_vs_baseline.main()

def test_a_seed_template_gives_each_seed_its_own_file_and_the_record_keeps_the_template(tmp_path, monkeypatch):
    "`--set init_from=.../seed{seed}`: each seed's run (CCT and its paired baseline) starts from that seed's checkpoint."
    calls = []
    def fake_train_run(run_dir, method, dataset, data_dir, compare, **kw):
        calls.append((Path(run_dir).name, compare, kw['seed'], kw['init_from']))
        return {'miou': 0.5, 'seconds': 1.0, 'compare': {'baseline_miou': 0.4, 'gap': 0.1, 'baseline_seconds': 1.0}}
    monkeypatch.setattr(cct_vs_baseline, 'train_run', fake_train_run)
    out = tmp_path / 'o.json'
    monkeypatch.setattr(sys, 'argv', ['cct_vs_baseline.py', '--seeds', '3', '4', '--set', 'init_from=runs/stage1/base16_seed{seed}',
                                      '--runs', str(tmp_path / 'runs'), '--out', str(out)])
    cct_vs_baseline.main()
    assert calls == [('scenes_init_frombase16_seed_seed3', True, 3, 'runs/stage1/base16_seed3'),
                     ('scenes_init_frombase16_seed_seed4', True, 4, 'runs/stage1/base16_seed4')]
    rec = json.loads(out.read_text())
    assert rec['config']['init_from'] == 'runs/stage1/base16_seed{seed}'
    assert [(r['init_from'], r['init_miou']) for r in rec['runs']] == [('runs/stage1/base16_seed3', None), ('runs/stage1/base16_seed4', None)]
    stage1 = tmp_path / 'stage1_seed5'; stage1.mkdir(); (stage1 / 'metrics.json').write_text(json.dumps({'miou': 0.61}))
    assert cct_vs_baseline.init_record({'init_from': str(tmp_path / 'stage1_seed{seed}')}, 5) == {'init_from': str(stage1), 'init_miou': 0.61}
    assert cct_vs_baseline.init_record({'init_from': str(stage1 / 'model.pth')}, 5)['init_miou'] == 0.61   # a checkpoint file: its folder's record
    assert cct_vs_baseline.init_record({'lr': 0.1}, 5) == {}
    assert cct_vs_baseline.for_seed({'a': 'x{seed}y', 'b': 2, 'c': None}, 7) == {'a': 'x7y', 'b': 2, 'c': None}

def test_abce_baseline_trains_only_the_abce_baseline_and_pairs_it_with_the_ce_one(tmp_path, monkeypatch):
    "benchmarks/abce_baseline.py with training stubbed: each seed's ab-CE baseline against that seed's CE baseline, then merged."
    from benchmarks import abce_baseline
    from cct_nb.config import run_config
    cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in run_config('scenes', epochs=16).items() if k != 'split_files'}
    base = _record([0, 1], [0.0, 0.0], config=cfg | {'conf_mask': 0.5, 'sup_loss': 'abce'})   # CCT's own options may differ
    base['runs'][0]['baseline_miou'], base['runs'][1]['baseline_miou'] = 0.40, 0.60
    f = _write(tmp_path, 'ce.json', base)
    calls = []
    def fake_train_run(run_dir, method, dataset, data_dir, **kw):
        calls.append((method, kw['seed'], kw['sup_loss'], kw.get('compare', False)))
        return {'miou': 0.50 + kw['seed'] / 100, 'seconds': 2.0, 'per_class_iou': {'wall': 0.9}}
    monkeypatch.setattr(abce_baseline, 'train_run', fake_train_run)
    parts = [abce_baseline.main(['--epochs', '16', '--seeds', str(s), '--ce-from', str(f), '--runs', str(tmp_path / 'runs'),
                                 '--out', str(tmp_path / f'p{s}.json')]) for s in (1, 0)]
    assert calls == [('baseline', 1, 'abce', False), ('baseline', 0, 'abce', False)]   # only the ab-CE baseline is trained
    assert parts[0]['runs'][0]['gap'] == pytest.approx(0.51 - 0.60)
    res = abce_baseline.main(['--merge', str(tmp_path / 'p1.json'), str(tmp_path / 'p0.json'), '--out', str(tmp_path / 'all.json')])
    assert res['seeds'] == [0, 1] and [r['ce_miou'] for r in res['runs']] == [0.40, 0.60]
    assert res['gap']['mean'] == pytest.approx(statistics.mean([0.10, -0.09])) and res['config']['sup_loss'] == 'abce'
    with pytest.raises(SystemExit, match=r'ce\.json: its baseline was trained with other epochs'):
        abce_baseline.main(['--epochs', '8', '--seeds', '0', '--ce-from', str(f), '--out', str(tmp_path / 'x.json')])
    with pytest.raises(SystemExit, match=r'ce\.json: no seed \[2\]'):
        abce_baseline.main(['--epochs', '16', '--seeds', '2', '--ce-from', str(f), '--out', str(tmp_path / 'y.json')])
    with pytest.raises(SystemExit, match='seed 0 is already in'):
        abce_baseline.main(['--merge', str(tmp_path / 'p0.json'), str(tmp_path / 'all.json'), '--out', str(tmp_path / 'z.json')])

def _history(folder, mious):
    "A fastai CSVLogger history.csv with these val mIoUs, one row per epoch."
    folder.mkdir(parents=True, exist_ok=True)
    rows = ['epoch,train_loss,valid_loss,miou,pixel_acc,time'] + [f'{i},1.0,0.5,{m},0.9,00:01' for i, m in enumerate(mious)]
    (folder / 'history.csv').write_text('\n'.join(rows) + '\n')

def test_every_run_entry_keeps_both_methods_val_curves_and_merge_fills_in_old_entries(tmp_path, monkeypatch):
    "Each seed's val mIoU after every epoch, CCT's from its run folder and the baseline's from baseline/, ends with the final mIoU."
    def fake_train_run(run_dir, method, dataset, data_dir, compare, **kw):
        _history(Path(run_dir), [0.40, 0.45, 0.52]); _history(Path(run_dir) / 'baseline', [0.42, 0.44, 0.44])
        return {'miou': 0.52, 'seconds': 1.0, 'compare': {'baseline_miou': 0.44, 'gap': 0.08, 'baseline_seconds': 1.0}}
    monkeypatch.setattr(cct_vs_baseline, 'train_run', fake_train_run)
    out = tmp_path / 'o.json'
    monkeypatch.setattr(sys, 'argv', ['cct_vs_baseline.py', '--seeds', '0', '--runs', str(tmp_path / 'runs'), '--out', str(out)])
    cct_vs_baseline.main()
    new = json.loads(out.read_text()); r = new['runs'][0]
    assert r['cct_curve'] == [0.40, 0.45, 0.52] and r['baseline_curve'] == [0.42, 0.44, 0.44]
    old = _record([1, 2, 3], [0.01, 0.02, 0.03], config=new['config']) | {'scenes_version': new['scenes_version']}   # written before records kept curves
    old['runs'][0]['run_dir'] = str(tmp_path / 'seed1'); _history(tmp_path / 'seed1', [0.3, 0.51]); _history(tmp_path / 'seed1' / 'baseline', [0.5])
    old['runs'][1]['run_dir'] = str(tmp_path / 'gone')                      # its run folder no longer exists
    old['runs'][2]['run_dir'] = str(tmp_path / 'half'); _history(tmp_path / 'half', [0.2])   # CCT's history only: its baseline's is gone
    res = cct_vs_baseline.merge([out, _write(tmp_path, 'old.json', old)])
    assert [(x['seed'], x.get('cct_curve'), x.get('baseline_curve')) for x in res['runs']] == [
        (0, [0.40, 0.45, 0.52], [0.42, 0.44, 0.44]), (1, [0.3, 0.51], [0.5]), (2, None, None), (3, None, None)]   # unknown, not an empty curve
    again = cct_vs_baseline.merge([_write(tmp_path, 'merged.json', res)])  # re-merging a record whose folders are gone changes no curve
    assert [x.get('cct_curve') for x in again['runs']] == [[0.40, 0.45, 0.52], [0.3, 0.51], None, None]
    assert cct_vs_baseline.val_curve(tmp_path / 'nowhere') == []

def test_val_curve_reads_a_resumed_runs_history_once_per_epoch(tmp_path):
    "A resumed run appends to history.csv with its header again, and may log again an epoch that was logged but not checkpointed."
    _history(tmp_path, [0.30, 0.40, 0.45])                                   # epochs 0-2; killed after logging epoch 2, before its checkpoint
    rows = ['epoch,train_loss,valid_loss,miou,pixel_acc,time', '2,1.0,0.5,0.46,0.9,00:01', '3,1.0,0.5,0.50,0.9,00:01']
    with open(tmp_path / 'history.csv', 'a') as fh: fh.write('\n'.join(rows) + '\n')   # the resumed fit: header, epoch 2 again, epoch 3
    assert cct_vs_baseline.val_curve(tmp_path) == [0.30, 0.40, 0.46, 0.50]

def test_merge_backfills_per_class_iou_from_the_run_folders_and_only_when_both_are_there(tmp_path):
    rec = _record([0, 1], [0.01, 0.02])
    for r in rec['runs']: r['run_dir'] = str(tmp_path / f"run{r['seed']}")
    for s, iou in ((0, {'wall': 0.9, 'pole': 0.4}), (1, {'wall': 0.8, 'pole': 0.3})):
        (tmp_path / f'run{s}').mkdir(); (tmp_path / f'run{s}' / 'metrics.json').write_text(json.dumps({'per_class_iou': iou}))
    (tmp_path / 'run0' / 'baseline').mkdir()                                     # seed 1 has no baseline folder
    (tmp_path / 'run0' / 'baseline' / 'metrics.json').write_text(json.dumps({'per_class_iou': {'wall': 0.9, 'pole': 0.5}}))
    res = cct_vs_baseline.merge([_write(tmp_path, 'a.json', rec)])
    assert res['runs'][0]['cct_per_class_iou'] == {'wall': 0.9, 'pole': 0.4}
    assert res['runs'][0]['baseline_per_class_iou'] == {'wall': 0.9, 'pole': 0.5}
    assert 'cct_per_class_iou' not in res['runs'][1] and 'baseline_per_class_iou' not in res['runs'][1]   # unknown, not half-filled
    rec['runs'][0]['cct_per_class_iou'] = {'wall': 0.1, 'pole': 0.1}               # a recorded figure is never overwritten
    assert cct_vs_baseline.merge([_write(tmp_path, 'b.json', rec)])['runs'][0]['cct_per_class_iou'] == {'wall': 0.1, 'pole': 0.1}

def test_consistency_weights_ratios_are_per_round_medians_and_every_config_runs_once_per_round():
    from benchmarks import consistency_weights as cw
    t = {'plain': [(1.0, 2.0), (2.0, 4.0), (1.0, 2.0)], 'both': [(1.5, 2.0), (2.2, 4.0), (1.1, 3.0)]}
    s = cw.summary(t)
    assert s['plain']['median_s'] == 1.0 and 'over_plain' not in s['plain']
    assert s['both']['over_plain'] == pytest.approx(1.1)                   # median of 1.5, 1.1, 1.1: per round, not median / median
    assert s['both']['over_plain_cpu'] == pytest.approx(1.0)
    calls = []
    times = cw.interleave({k: (lambda k=k: calls.append(k)) for k in 'abc'}, steps=3, warmup=1)
    assert calls[:3] == ['a', 'b', 'c']                                     # the warm-up: once each
    assert calls[3:] == ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']       # each round once each, in a rotating order
    assert {k: len(v) for k, v in times.items()} == {'a': 3, 'b': 3, 'c': 3}

def test_consistency_weights_refuses_to_overwrite_a_result(tmp_path, monkeypatch):
    from benchmarks import consistency_weights as cw
    out = tmp_path / 'r.json'; out.write_text('{}')
    monkeypatch.setattr(sys, 'argv', ['consistency_weights.py', '--out', str(out)])
    with pytest.raises(SystemExit): cw.main()
    assert out.read_text() == '{}'
    monkeypatch.setattr(sys, 'argv', ['consistency_weights.py', '--steps', '0', '--out', str(tmp_path / 'new.json')])
    with pytest.raises(SystemExit): cw.main()
    assert not (tmp_path / 'new.json').exists()

# ------------------------------------------------------------------------------------------------ the over-fit regime (issue 35)
def test_overfit_cells_name_each_cell_once_and_fix_the_confirmation_in_advance():
    from benchmarks import overfit
    from experiments.analysis import OVERFIT_PLANNED, OVERFIT_CONFIRM_ARMS
    cs = overfit.cells(['screen', 'fitcheck'], [7])
    assert [c[0] for c in cs] == ['n20_baseline_24ep_seed7', 'n20_cct_24ep_seed7', 'n20_cct_auxsup_24ep_seed7', 'n20_cct_pointwise_24ep_seed7',
                                  'n50_baseline_24ep_seed7']
    assert [c[1] for c in cs] == ['screen'] * 4 + ['fitcheck']          # the n = 20 baseline of fitcheck is the screen's
    assert [c[0] for c in overfit.cells(['screen'], [7], arms=('cct_pointwise',))] == ['n20_cct_pointwise_24ep_seed7']
    assert overfit.ARMS['cct_pointwise'][1]['perturbations'] == 'pointwise'
    cf = overfit.cells(['confirm'], [])                                    # no --seeds: every planned seed, the planned arms only
    assert [c[3] for c in cf] == [s for s in OVERFIT_PLANNED for _ in OVERFIT_CONFIRM_ARMS]
    assert [c[2] for c in cf[:len(OVERFIT_CONFIRM_ARMS)]] == list(OVERFIT_CONFIRM_ARMS) and {c[1] for c in cf} == {'confirm'}
    assert [c[3] for c in overfit.cells(['confirm'], [OVERFIT_PLANNED[1]])] == [OVERFIT_PLANNED[1]] * len(OVERFIT_CONFIRM_ARMS)
    with pytest.raises(ValueError, match='fixed in advance'): overfit.cells(['confirm'], [100])
    with pytest.raises(ValueError, match='24 epochs'): overfit.cells(['confirm'], [], epochs=12)
    with pytest.raises(ValueError, match='nope'): overfit.cells(['nope'], [1])

def test_overfit_regime_is_the_preset_and_the_records_trained_it():
    "The benchmark trains `--preset camvid-overfit` (reference/config), and every committed record of the regime trained exactly that."
    from benchmarks import overfit
    from cct_nb.config import RUN_PRESETS
    assert (overfit.DATASET, overfit.REGIME) == ('camvid', {k: v for k, v in RUN_PRESETS['camvid-overfit'].items() if k != 'dataset'})
    recs = [json.loads(l) for l in (ROOT / overfit.OUT).read_text().splitlines() if l.strip()]
    assert {r['group'] for r in recs} >= {'fitcheck', 'screen'}
    for r in recs:
        want = {k: (list(v) if isinstance(v, tuple) else v) for k, v in overfit.REGIME.items()} | {'n_labeled': r['n_labeled']}
        assert {k: r['config'][k] for k in want} == want, r['cell']
        assert r['config']['method'] == overfit.ARMS[r['arm']][0] and r['config']['seed'] == r['seed']
        assert all(r['config'][k] == v for k, v in overfit.ARMS[r['arm']][1].items()), r['cell']

def test_overfit_parse_and_report_read_the_records_without_data(tmp_path, capsys):
    from benchmarks import overfit
    with pytest.raises(SystemExit): overfit.parse(['--groups', 'screen', '--seeds', '1', '--data-dir', str(tmp_path)])   # no CamVid there
    assert f'--data-dir {tmp_path}: no CamVid train/ folder' in capsys.readouterr().err
    with pytest.raises(SystemExit): overfit.parse(['--groups', 'screen'])                                 # a screen needs its seeds
    assert '--seeds: needed' in capsys.readouterr().err
    out = tmp_path / 'o.jsonl'; out.write_text('')
    overfit.main(['--report', '--out', str(out)])                           # no records: says so, trains nothing
    assert 'no baseline run yet' in capsys.readouterr().out

def test_encoder_grid_candidates_give_the_grid_their_output_stride_says():
    import torch
    from benchmarks import encoder_grid as eg
    for name, os_, _ in eg.CANDIDATES:
        with torch.no_grad(): out = eg.backbone_at(name, os_).eval()(torch.zeros(1, 3, 64, 96))
        assert tuple(out.shape[-2:]) == (64 // os_, 96 // os_), (name, os_)
    with pytest.raises(ValueError, match='output stride 4'): eg.backbone_at('resnet18', 4)
    with pytest.raises(ValueError, match='16 only'): eg.backbone_at('mobilenet_v3_large', 8)

def test_encoder_grid_record_measured_every_candidate_against_the_regime_in_one_run():
    from benchmarks import encoder_grid as eg
    from benchmarks.overfit import REGIME
    rec = json.loads((ROOT / 'benchmarks/results/speed/encoder_grid.json').read_text())
    assert {'machine', 'commit', 'command', 'seed', 'date'} <= set(rec) and 'modified' not in rec['commit']
    rows = rec['rows']
    assert [(r['backbone'], r['output_stride'], tuple(r['size'])) for r in rows] == list(eg.CANDIDATES)
    ref = rows[0]                                                   # the over-fit regime's own backbone and input
    assert (ref['backbone'], tuple(ref['size'])) == (REGIME['arch'], tuple(REGIME['size'])) and ref['seconds_ratio'] == 1.0
    for r in rows:
        assert r['grid'] == [r['size'][0] // r['output_stride'], r['size'][1] // r['output_stride']]
        assert len(r['seconds_rounds']) == rec['rounds'] and r['seconds'] > 0
        assert r['seconds_ratio'] == pytest.approx(r['seconds'] / ref['seconds'], abs=0.01)
        assert r['gflops_ratio'] == pytest.approx(r['gflops'] / ref['gflops'], abs=0.01)

def test_overfit_confusion_record_is_the_records_networks():
    sys.path.insert(0, str(ROOT / 'experiments'))
    import analysis as A
    from benchmarks.overfit_confusion import paired_cells
    rec = A.read_overfit_confusion(ROOT / 'benchmarks/results' / A.OVERFIT_CONFUSION)
    assert {'machine', 'commit', 'command', 'date'} <= set(rec) and 'modified' not in rec['commit']
    recs = A.overfit_records(ROOT / 'benchmarks/results' / A.OVERFIT_RECORDS)
    assert set(rec['seeds']) <= set(paired_cells(recs, rec['group']))            # every seed a finished pair of its group
    miou = {(r['seed'], r['arm']): r['miou'] for r in recs if r['group'] == rec['group']}
    H, W = rec['size']
    for s in rec['seeds']:
        for arm in rec['arms']:
            m = rec['matrices'][str(s)][arm]
            assert np.nanmean(A.confusion_iou(m['val'])) == pytest.approx(miou[(s, arm)], abs=1e-4)   # its record's val mIoU, to a few pixels (other eval batches can flip near-tied logits)
            for which, n in (('labeled', 20), ('unlabeled', 347), ('val', 101)):
                assert 0.8 * n * H * W < np.sum(m[which]) <= n * H * W                # every image counted, void left out
