"Benchmark scripts' bookkeeping (no training): merging per-seed records and naming the CamVid grid's cells."
import json, statistics, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / 'benchmarks'))
import cct_vs_baseline, camvid

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
    res = cct_vs_baseline.merge([a, b], tmp_path / 'c.json')
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
    with pytest.raises(SystemExit, match=r'b\.json: seed 0 is already in .*a\.json'): cct_vs_baseline.merge([a, b], tmp_path / 'c.json')
    c = _write(tmp_path, 'c.json', _record([1], [0.02], config={'epochs': 8, 'lr': 0.003}))
    with pytest.raises(SystemExit, match=r'c\.json: its config differs'): cct_vs_baseline.merge([a, c], tmp_path / 'd.json')
    with pytest.raises(SystemExit, match=r'missing\.json'): cct_vs_baseline.merge([a, tmp_path / 'missing.json'], tmp_path / 'd.json')

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

def test_fit_diagnosis_refuses_a_folder_that_is_not_a_paired_run(tmp_path, monkeypatch):
    import fit_diagnosis
    monkeypatch.setattr(sys, 'argv', ['fit_diagnosis.py', '--runs', str(tmp_path / 'nope'), '--out', str(tmp_path / 'o.json')])
    with pytest.raises(SystemExit, match=r'--runs .*nope: no run.json there'): fit_diagnosis.main()
    (tmp_path / 'run').mkdir(); (tmp_path / 'run' / 'run.json').write_text(json.dumps({'dataset': 'scenes', 'data_dir': str(tmp_path), 'config': {}}))
    for f in ('labeled.txt', 'unlabeled.txt'): (tmp_path / 'run' / f).write_text('')
    with pytest.raises(SystemExit, match=r'model\.pth: no checkpoint'): fit_diagnosis.diagnose(tmp_path / 'run', 10)
    assert not (tmp_path / 'o.json').exists()
