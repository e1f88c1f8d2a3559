"The lab log's analysis (experiments/analysis.py): its rules and tables on made-up gaps and records, and summary.json's schema."
import copy, json, sys
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from conftest import ROOT

sys.path.insert(0, str(ROOT / 'experiments'))
import analysis as A
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

SUMMARY = ROOT / 'experiments' / 'summary.json'
EX = pd.Series([2.0, 3.0, 2.5, 3.5, 2.8, 3.1, 2.2, 2.9, 3.3, 2.6], index=range(10, 20))   # made-up gaps, points

# ------------------------------------------------------------------------------------------------ the rules fixed in advance
def test_fixed_test_final_and_interim_looks(capsys):
    assert A.fixed_test(EX, range(10, 20)) is True                              # all in, clearly ahead: met at p < 0.05
    assert A.fixed_test(EX.iloc[:4], range(10, 20)) is False                    # the same lead on 4 seeds: p = 0.003 is not < 0.001
    assert 'nothing is decided until seeds 10-19 are all in' in capsys.readouterr().out
    assert A.fixed_test(-EX.iloc[:8], range(10, 20)) is False                   # behind on 8 of 10: not met, and no longer reachable
    assert 'can no longer be met' in capsys.readouterr().out
    with pytest.raises(AssertionError): A.fixed_test(EX, range(10, 15))          # seeds that were not planned

def test_the_scan_may_take_equal_gaps_as_the_best_case():
    rng = np.random.default_rng(0)                                              # for a given sum, equal gaps have the smallest spread, so the smallest p
    for so_far in (EX.iloc[:4].values, -EX.iloc[:8].values):
        for x in rng.uniform(0, 50, 20):
            m = 10 - len(so_far); un = x + rng.normal(0, 5, m); un += x - un.mean()
            assert stats.ttest_1samp(np.r_[so_far, un], 0.).pvalue >= stats.ttest_1samp(np.r_[so_far, [x] * m], 0.).pvalue

def test_paired_t_power_against_simulation():
    assert A.paired_t_power(0., 1., 10) == pytest.approx(0.05, abs=1e-9)        # no effect: the test's own false-positive rate
    sim = stats.ttest_1samp(np.random.default_rng(0).normal(1.4, 2.0, (20000, 10)), 0., axis=1).pvalue
    assert (sim < 0.05).mean() == pytest.approx(A.paired_t_power(1.4, 2.0, 10), abs=0.015)
    assert A.paired_t_power(1.4, 2.0, 16) > A.paired_t_power(1.4, 2.0, 10)

def test_futility_rule():
    fx = pd.Series([-1.5, 2.0, -0.5, 1.0, 0.5, -2.0, 3.0, -1.0], index=range(40, 48))   # mean +0.19
    assert A.futility_at(fx.iloc[:7], range(40, 48)) is None                   # 7 of 8 in: the rule waits
    assert A.futility_at(fx.drop(44), range(40, 48)) is None                   # 8 in, but not 40-47: it waits for 44
    assert A.futility_at(fx, range(40, 48)) is False                           # mean above 0: go on
    assert A.futility_at(pd.Series([-1., 1., -2., 2., .5, -.5, 3., -3.], index=range(40, 48)), range(40, 48)) is True   # mean exactly 0: stop
    assert A.futility_at(-fx, range(40, 48)) is True                           # mean below 0: stop
    assert A.futility_at(pd.concat([-fx, pd.Series([40., 40.], index=[48, 49])]), range(40, 48)) is True   # later seeds do not count

def test_probe_reading():
    assert A.probe_reading(pd.Series([3., 2., 4., -1.])).split(':')[0] == 'promising'
    assert A.probe_reading(pd.Series([9., -1., -1., 1.])) == 'inconclusive'     # a mean of +2 that rests on one seed
    assert A.probe_reading(pd.Series([1., -1., 0.5, -0.5])).split(':')[0] == 'no gap opens'

def test_gap_interval():
    m, lo, hi = A.gap_interval(pd.Series([1., 2., 3.]))
    assert (m, hi - m) == pytest.approx((2., stats.t.ppf(0.975, 2) / 3 ** 0.5), abs=1e-12)   # std 1 over 3 seeds
    assert lo == pytest.approx(2 * m - hi)
    assert A.gap_interval(pd.Series([1., 2., 3.]), 0.99)[2] > hi

# ------------------------------------------------------------------------------------------------ seeds and tables of the records
def test_seeds_in():
    assert A.seeds_in([{'seed': 3, 'config': {'seed': 3}}, {'seeds': [1, 2], 'runs': [{'seed': 7}]}, 5]) == {1, 2, 3, 7}

def _mk(*seeds): return {'runs': [{'seed': s} for s in seeds]}                  # made-up records

def test_check_preregistered_fires(tmp_path):
    (tmp_path / 'scenes').mkdir(); (tmp_path / 'scenes' / 'scenes_other.json').write_text(json.dumps({'seeds': [0, 1], 'runs': [{'seed': 0}, {'seed': 1}]}))
    assert A.check_preregistered(_mk(36, 37), 'scenes/made_up.json', range(36, 40), results=tmp_path) == [36, 37]
    for bad in (_mk(36, 36), _mk(36, 40), _mk(0, 36)):                          # twice, unplanned, not fresh
        with pytest.raises(AssertionError): A.check_preregistered(bad, 'scenes/made_up.json', range(36, 40), results=tmp_path)
    assert A.seeds_of_other_records('scenes/scenes_other.json', results=tmp_path) == set()   # a record is not compared with itself
    assert A.seeds_of_other_records(None, results=tmp_path) == {0, 1}

def test_the_made_up_seeds_are_in_no_record():
    assert A.seeds_of_other_records(None) & set(range(36, 40)) == set()
    assert {0, 1, 2} <= A.seeds_of_other_records('scenes/scenes_cct_vs_baseline_warm16_32ep.json')

def _run(seed=3, gap=.02, **kw):
    return {'seed': seed, 'init_miou': .5, 'cct_miou': .62, 'baseline_miou': .6, 'gap': gap, 'cct_seconds': 120., 'baseline_seconds': 60.,
            'cct_curve': [.5, .55, .6, .62], 'baseline_curve': [.5, .58, .59, .6]} | kw

def test_paired_table_is_consistent():
    t = A.paired_table({'config': {'epochs': 4}, 'runs': [_run()]}, halfway=True)
    assert list(t.columns) == ['stage 1', 'CCT', 'baseline', 'gap', 'gap halfway', 'CCT (min)', 'baseline (min)']
    assert t.loc[3].values == pytest.approx([50, 62, 60, 2, -3, 2, 1], abs=1e-9)   # points and minutes; halfway = after epoch 2 of 4
    with pytest.raises(AssertionError): A.paired_table({'config': {'epochs': 4}, 'runs': [_run(gap=.05)]})   # a gap that is not CCT − baseline

def test_record_pairs_checks_gaps_and_mean():
    rec = {'benchmark': 'cct_vs_baseline', 'runs': [_run(0), _run(1, cct_miou=.58, gap=-.02)], 'gap': {'mean': 0.}}
    assert list(A.record_pairs(rec)['gap']) == pytest.approx([2., -2.])
    with pytest.raises(AssertionError): A.record_pairs(rec | {'gap': {'mean': .01}})   # the record's mean is not its seeds'
    abce = {'benchmark': 'abce_baseline', 'runs': [{'seed': 0, 'abce_miou': .6, 'ce_miou': .5, 'gap': .1}], 'gap': {'mean': .1}}
    assert A.record_pairs(abce).loc[0].values == pytest.approx([60, 50, 10])

def test_class_gaps_follow_the_miou_gap():
    r = _run(gap=.02, cct_per_class_iou={'a': .64, 'b': .6}, baseline_per_class_iou={'a': .6, 'b': .6})
    assert A.class_gaps({'runs': [r]}).loc[3].values == pytest.approx([4., 0.])
    with pytest.raises(AssertionError): A.class_gaps({'runs': [r | {'gap': .03}]})

def test_times_by_cpu(capsys):
    rec = {'runs': [_run(0), _run(1)], 'merged_from': [{'seeds': [0], 'machine': {'cpu': 'A'}}, {'seeds': [1], 'machine': {'cpu': 'B'}}]}
    assert A.times_by_cpu(rec) == {0: 'A', 1: 'B'}
    assert 'on A (one process per core), seeds [0]: CCT 2.0-2.0 min' in capsys.readouterr().out
    with pytest.raises(AssertionError): A.times_by_cpu(rec | {'merged_from': rec['merged_from'][:1]})   # seed 1 without a source

def test_gap_forest_has_one_dot_per_seed():
    rows = [('a', pd.Series([1., -2., 3.], index=[0, 1, 2]), True), ('b', pd.Series([0.5, 1.5], index=[5, 6]), False)]
    ax = A.plot_gap_forest(rows)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 5
    assert sorted(np.concatenate([c.get_offsets()[:, 0] for c in ax.collections])) == pytest.approx([-2., 0.5, 1., 1.5, 3.])
    plt.close('all')

def test_learning_curve_points(tmp_path):
    f = tmp_path / 'lc.json'
    f.write_text(json.dumps({'runs': [{'n_labeled': 30, 'miou': .5}, {'n_labeled': 10, 'miou': .3}, {'n_labeled': 30, 'miou': .4}]}))
    assert A.learning_curve_points(f) == {10: [.3], 30: [.5, .4]}

# ------------------------------------------------------------------------------------------------ the CamVid grid's tables (the old cct_nb.results)
from cct_nb.data import DATASETS
CLASSES = DATASETS['camvid'].classes

def _rec(label_kw, n, seed, miou, **kw):
    base = dict(cell=f'c{n}_{seed}_{miou}', method='cct', seed=seed, n_labeled=n, miou=miou, per_class_iou={c: miou for c in CLASSES})
    r = base | label_kw | kw
    return r | {'label': A.cell_label(r)}

@pytest.fixture
def recs():
    return [_rec({'method': 'baseline'}, 50, s, m) for s, m in ((0, .30), (1, .32), (2, .28))] + \
           [_rec({'perturbations': 'cct'}, 50, s, m) for s, m in ((0, .34), (1, .33), (2, .29))] + \
           [_rec({'perturbations': 'noise:2'}, 20, 0, .25), _rec({'method': 'baseline'}, 20, 0, .20)]

def test_cell_label():
    assert A.cell_label(dict(method='baseline')) == 'Baseline'
    assert A.cell_label(dict(method='cct', perturbations='noise:2')) == 'F-Noise'
    assert A.cell_label(dict(method='cct', perturbations='cct', sup_loss='abce')) == 'CCT full + ab-CE'
    assert A.cell_label(dict(method='cct', perturbations='cct', unsup_loss='js')) == 'CCT JS'
    assert A.cell_label(dict(method='cct', perturbations='cct', unsup_loss='mse', pairwise=4)) == 'CCT full + P-Wise'
    assert A.cell_label(dict(method='cct', perturbations='cct', conf_mask=0.5, class_balance=1.)) == 'CCT full + Conf-Mask + class-balanced (α = 1)'

def test_load_records(tmp_path):
    (tmp_path / 'ok.jsonl').write_text(json.dumps(_rec({}, 50, 0, 0.3, perturbations='vat:2')) + '\n\n')
    assert [r['label'] for r in A.load_records(tmp_path / 'ok.jsonl')] == ['I-VAT']
    (tmp_path / 'bad.jsonl').write_text(json.dumps({'cell': 'x'}) + '\n')
    with pytest.raises(ValueError, match=r'bad\.jsonl line 1'): A.load_records(tmp_path / 'bad.jsonl')
    (tmp_path / 'notjson.jsonl').write_text('{\n')
    with pytest.raises(ValueError, match=r'notjson\.jsonl line 1: not JSON'): A.load_records(tmp_path / 'notjson.jsonl')
    with pytest.raises(FileNotFoundError, match='none.jsonl'): A.load_records(tmp_path / 'none.jsonl')

def test_summary_and_tables(recs):
    s = A.summary(recs)
    assert s[('Baseline', 50)]['mean'] == pytest.approx(30.) and s[('Baseline', 50)]['std'] == pytest.approx(2.)
    assert s[('CCT full', 50)]['seeds'] == [0, 1, 2]
    t = A.fig5_table(recs)
    assert list(t.index) == ['Baseline', 'F-Noise', 'CCT full'] and list(t.columns) == ['n = 20', 'n = 50']
    assert (t.loc['Baseline', 'n = 50'], t.loc['F-Noise', 'n = 50'], t.loc['F-Noise', 'n = 20']) == ('30.0 ± 2.0 (3)', '—', '25.0')
    assert A.fig5_table(recs, seeds=[0, 1]).loc['Baseline', 'n = 50'] == '31.0 ± 1.4 (2)'   # seeds 0 and 1 only: 30 and 32

def test_plot_fig5(recs):
    assert len(A.plot_fig5(recs).patches) == 4                                   # Baseline ×2, F-Noise ×1, CCT full ×1
    assert len(A.plot_fig5(recs, seeds=[1]).patches) == 2                        # seed 1: Baseline and CCT full at n = 50
    plt.close('all')

def _verdicts(recs, **kw): c = A.claims(recs, **kw); return dict(zip(c['claim'], c['verdict']))
BEATS = 'CCT beats the supervised baseline (n = 50, paired seeds)'

def test_claims(recs):
    v = _verdicts(recs)
    assert v[BEATS] == 'holds'                                                   # +4, +1, +1 (margin 1: > 1 on average, > 0 on each)
    assert v['every perturbation alone beats the baseline (n = 20)'] == 'not measured'   # 1 of 7 perturbations run
    assert v['Table 5: MSE ≈ JS, both above KL (n = 50)'] == 'not measured'
    assert not any('DropOut decoders' in c or 'Conf-Mask beats' in c for c in v)  # no paired seeds of those
    assert A.matched(recs, ('Baseline', 'CCT full'), 50) == {'Baseline': 30., 'CCT full': 32.}
    assert A.matched(recs, ('Baseline', 'F-Noise'), 50) is None
    pg = A.paired_gaps(recs, 'CCT full', 'Baseline', 50)
    assert list(pg) == [0, 1, 2] and list(pg.values()) == pytest.approx([4., 1., 1.])
    seed3 = [r | {'seed': 3, 'miou': r['miou'] - (0.05 if r['label'] == 'CCT full' else 0), 'cell': r['cell'] + 'x'}
             for r in recs if r['seed'] == 0 and r['n_labeled'] == 50]
    assert _verdicts(recs + seed3)[BEATS] == 'partly'                            # mean +1.5, seed 3 −1
    assert _verdicts([r | {'miou': r['miou'] - (0.03 if r['label'] == 'CCT full' else 0)} for r in recs])[BEATS] == 'does not hold'   # mean −1.0
    drop = [_rec({'perturbations': 'dropout:2'}, 50, s, m) for s, m in ((0, .33), (1, .31), (2, .30))]
    assert _verdicts(recs + drop)['CCT with the DropOut decoders alone beats the baseline (n = 50, paired seeds)'] == 'partly'   # +3, −1, +2
    cm = [_rec({'perturbations': 'cct', 'conf_mask': 0.5}, 50, s, m) for s, m in ((0, .36), (1, .35), (2, .31))]
    assert _verdicts(recs + cm)['CCT with Conf-Mask beats the baseline (n = 50, paired seeds)'] == 'holds'   # +6, +3, +3

def test_per_class_table(recs):
    pc = A.per_class_table(recs, classes=CLASSES)
    assert pc.shape == (11, 2) and pc.loc['sky', 'Baseline'] == pytest.approx(30.)
    assert A.per_class_table(recs, classes=CLASSES, seeds=[1]).loc['sky', 'Baseline'] == pytest.approx(32.)   # seed 1 only

# ------------------------------------------------------------------------------------------------ summary.json
@pytest.fixture(scope='module')
def committed():
    return json.loads(SUMMARY.read_text())

def test_check_summary_accepts_the_committed_file(committed):
    assert A.read_summary(SUMMARY) == committed
    ids = [e['id'] for e in committed['paired']]
    assert ids[-4:] == ['camvid50-seeds0-4', 'camvid50-seeds5-24', 'camvid50-12ep-seeds25-28', 'camvid20-overfit-seeds200-209']
    fixed = {e['id'] for e in committed['paired'] if e['fixed_in_advance']}
    assert fixed == {'scenes-warm16-32ep', 'scenes-warm16-16ep-confirm', 'scenes-warm16-16ep-classbal', 'camvid50-seeds5-24', 'camvid50-12ep-seeds25-28',
                     'camvid20-overfit-seeds200-209'}

def test_summary_gaps_are_the_records(committed):
    by = {e['id']: e for e in committed['paired']}
    rec = A.read_record('scenes/scenes_cct_vs_baseline_warm16_16ep_confirm.json')
    assert by['scenes-warm16-16ep-confirm']['gaps'] == pytest.approx([100 * r['gap'] for r in rec['runs']])
    assert by['scenes-warm16-16ep-confirm']['seeds'] == [r['seed'] for r in rec['runs']]

def test_summary_overfit_block_is_the_records(committed):
    o, recs = committed['overfit'], A.overfit_records()
    for arm, s in o['screen'].items():                                         # the screen's seeds are fixed: later records cannot change them
        t = A.overfit_pairs([r for r in recs if r['seed'] in s['seeds']], arm)
        assert s['gaps'] == pytest.approx(list(t['gap'])) and s['seeds'] == [int(x) for x in t.index]
    fc = A.fit_check([r for r in recs if r['seed'] in o['fit_check']['n20']['seeds']])
    assert o['fit_check']['n20']['labeled'] == pytest.approx(list(fc[fc.n_labeled == 20]['labeled (end)']))
    assert o['confirmation']['planned'] == list(A.OVERFIT_PLANNED) and o['confirmation']['arms'] == list(A.OVERFIT_CONFIRM_ARMS)
    for arm, c in o['confirmation']['pairs'].items():                         # the confirmation so far: a later record only adds seeds
        t = A.overfit_pairs([r for r in recs if r['seed'] in c['seeds']], arm, group='confirm')
        assert c['gaps'] == pytest.approx(list(t['gap'])) and c['seeds'] == [int(x) for x in t.index]
    e = next(e for e in committed['paired'] if e['id'] == 'camvid20-overfit-seeds200-209')   # the forest's row is the confirmation's
    assert e['seeds'] == o['confirmation']['pairs']['cct']['seeds'] and e['gaps'] == pytest.approx(o['confirmation']['pairs']['cct']['gaps'])
    assert e['planned_seeds'] == list(A.OVERFIT_PLANNED) and e['fixed_in_advance']

def _broken(d, how):
    d = copy.deepcopy(d); how(d); return d

@pytest.mark.parametrize('how, field', [
    (lambda d: d['paired'][0].pop('gaps'), r'paired\[0\]\.gaps: missing'),
    (lambda d: d.pop('cluster'), r'cluster: missing'),
    (lambda d: d['paired'][2]['gaps'].pop(), r'paired\[2\]\.gaps: 4 gaps for 5 seeds'),
    (lambda d: d['paired'][1]['seeds'].append(99), r'paired\[1\]\.gaps: 3 gaps for 4 seeds'),
    (lambda d: d['paired'][0].update(ci95=[d['paired'][0]['gap_mean'] + 1, d['paired'][0]['gap_mean'] + 2]), r'paired\[0\]\.ci95: .* not around the mean'),
    (lambda d: d['paired'][0].update(gap_mean=d['paired'][0]['gap_mean'] + 0.5), r'paired\[0\]\.gap_mean'),
    (lambda d: d['paired'][0].update(dataset='voc'), r'paired\[0\]\.dataset'),
    (lambda d: d['paired'][0].update(fixed_in_advance='yes'), r'paired\[0\]\.fixed_in_advance: a bool'),
    (lambda d: d['claims'][0].update(holds='maybe'), r'claims\[0\]\.holds'),
    (lambda d: d.update(format='cct_nb-summary/0'), r'format'),
    (lambda d: d['cluster']['scenes'].update(input=1.5), r'cluster\.scenes'),
    (lambda d: d['fig5']['rows']['Baseline']['50'].pop(), r'fig5\.rows\.Baseline\.50'),
    (lambda d: d['overfit']['screen']['cct']['gaps'].pop(), r'overfit\.screen\.cct: one gap per seed'),
    (lambda d: d['overfit']['fit_check']['n20']['val'].pop(), r'overfit\.fit_check\.n20'),
    (lambda d: d['overfit']['confirmation']['pairs'].update(vat={'seeds': [], 'gaps': []}), r'overfit\.confirmation\.pairs: arms'),
    (lambda d: d['overfit']['confirmation']['pairs']['cct'].update(seeds=[5], gaps=[1.]), r'overfit\.confirmation\.pairs\.cct: planned'),
])
def test_check_summary_rejects_corrupted_copies(committed, how, field):
    with pytest.raises(ValueError, match=field): A.check_summary(_broken(committed, how))

# ------------------------------------------------------------------------------------------------ the over-fit regime (issue 35)
_CLASSES = ('sky', 'road', 'car')
def _ofrec(arm, seed, ious, group='confirm', n=20, lab=(0.9,), val=(0.3,)):
    d = {'labeled_miou': [{'epoch': i, 'miou': m} for i, m in enumerate(lab)], 'val_miou': [{'epoch': i, 'miou': m} for i, m in enumerate(val)]}
    if arm != 'baseline':
        d['head_lag'] = [{'epoch': i, 'all': {'total': 1., 'lag': s, 'perturbation': .1, 'lag_share': s, 'perturbation_share': .1,
                                              'lag_changed': .2, 'perturbation_changed': .05}} for i, s in enumerate((1., .7, .5))]
    return {'cell': f'n{n}_{arm}_24ep_seed{seed}', 'group': group, 'arm': arm, 'seed': seed, 'n_labeled': n, 'miou': float(np.mean(ious)),
            'per_class_iou': dict(zip(_CLASSES, ious)), 'diagnostics': d, 'config': {'epochs': 24}, 'commit': 'x', 'train_seconds': 60.}

def _ofrecs(gaps, seeds):
    rng = np.random.default_rng(0)
    out = []
    for s, g in zip(seeds, gaps):
        b = rng.uniform(.2, .6, 3)
        out += [_ofrec('baseline', s, b), _ofrec('cct', s, b + np.array([3 * g, 0, 0]) / 100)]   # the whole gap on 'sky'
    return out

def test_overfit_pairs_class_gaps_and_fit_check():
    recs = _ofrecs([2., -1., 4.], [200, 201, 202])
    t = A.overfit_pairs(recs, 'cct', group='confirm')
    np.testing.assert_allclose(t['gap'].values, [2., -1., 4.], atol=1e-9)
    g = A.overfit_class_gaps(recs, 'cct', group='confirm')
    np.testing.assert_allclose(g['sky'].values, [6., -3., 12.], atol=1e-9); np.testing.assert_allclose(g[['road', 'car']].values, 0, atol=1e-9)
    fc = A.fit_check(recs + [_ofrec('baseline', 300, [.3] * 3, 'fitcheck', 50, lab=(.5, .38), val=(.3, .32))])
    assert fc['over-fits'].tolist() == [True] * 3 + [False]                 # 60 points over val; then only 6
    assert fc.loc['n50_baseline_24ep_seed300', 'best val epoch'] == 1
    hl = A.head_lag_table(recs, 'cct')
    assert hl['lag share'].tolist() == [1., .7, .5] * 3 and hl['when'].tolist()[:3] == ['start', 'middle', 'end']

def test_overfit_confirmation_applies_the_rule_fixed_in_advance(capsys):
    seeds = list(A.OVERFIT_PLANNED)
    assert A.overfit_confirmation(_ofrecs([3.], seeds[:1])) is None        # one paired seed: no test yet
    c = A.overfit_confirmation(_ofrecs(EX.values, seeds))                   # all in, clearly ahead
    assert c['final'] and c['met'] and c['seeds'] == seeds
    assert c['interval'][0] < c['mean'] < c['interval'][1] and c['mean'] == pytest.approx(EX.mean())
    c = A.overfit_confirmation(_ofrecs(EX.values[:4], seeds[:4]))           # an interim look: only at p < 0.001
    assert not c['final'] and not c['met']
    assert 'interim look at 4 of the 10' in capsys.readouterr().out
    with pytest.raises(ValueError, match='not pre-registered'): A.overfit_confirmation(_ofrecs([1., 2.], [5, 6]))

def test_overfit_confirmation_block_holds_the_rule_the_curves_and_the_class_gaps(tmp_path, capsys):
    seeds = list(A.OVERFIT_PLANNED)
    assert A.overfit_confirmation_block([]) == {'seeds': [], 'gaps': []}
    one = A.overfit_confirmation_block(_ofrecs([3.], seeds[:1]))            # one pair: curves and class gaps, no test yet
    assert one['per_class']['sky'] == pytest.approx(9.) and 'interval' not in one and 'met' not in one
    assert one['curves']['cct']['val_each'] == [[30.]] and one['curves']['baseline']['labeled'] == [90.]
    full = A.overfit_confirmation_block(_ofrecs(EX.values, seeds))          # all in, clearly ahead: the final test, met
    assert full['final'] and full['level'] == 0.05 and full['mean'] == pytest.approx(EX.mean())
    assert full['met'] is A.fixed_test(pd.Series(full['gaps'], index=seeds), A.OVERFIT_PLANNED) is True
    assert full['interval'][0] < full['mean'] < full['interval'][1]
    assert np.mean(list(full['per_class'].values())) == pytest.approx(EX.mean())   # the class gaps average to the mIoU gap
    early = A.overfit_confirmation_block(_ofrecs(EX.values[:4], seeds[:4]))  # an interim look: only at p < 0.001
    assert not early['final'] and early['level'] == 0.001 and not early['met']
    (tmp_path / 'overfit').mkdir()                                          # through summary.json: a true block passes its check ...
    (tmp_path / A.OVERFIT_RECORDS).write_text(''.join(json.dumps(r) + '\n' for r in _ofrecs(EX.values[:4], seeds[:4])))
    o = A.overfit_summary(tmp_path)
    A._check_overfit(o)
    assert o['confirmation']['pairs']['cct']['seeds'] == seeds[:4]
    for how, field in ((lambda c: c.update(met=True), r'\.met'), (lambda c: c.update(final=True), r'\.final'),
                       (lambda c: c['per_class'].update(sky=50.), r'\.per_class'), (lambda c: c['curves']['cct']['val_each'].pop(), r'\.curves\.cct'),
                       (lambda c: c.update(interval=[5., 6.]), r'\.interval')):   # ... and a doctored one is named
        bad = copy.deepcopy(o); how(bad['confirmation']['pairs']['cct'])
        with pytest.raises(ValueError, match=r'overfit\.confirmation\.pairs\.cct' + field): A._check_overfit(bad)

def test_overfit_report_prints_every_part(capsys):
    recs = _ofrecs(EX.values[:3], list(A.OVERFIT_PLANNED)[:3]) + [dict(r, group='screen') for r in _ofrecs([1.], [100])]
    A.overfit_report(recs)
    out = capsys.readouterr().out
    for part in ('The over-fit check', 'The screen, cct against', "head lag's share", '3 of the 10 planned seeds', 'per-class gaps', 'mean gap'):
        assert part in out, part

def test_the_confirmation_seeds_are_fresh(tmp_path):
    assert A.overfit_seeds_are_fresh()                                      # the committed records: no other experiment used seeds 200-209
    (tmp_path / 'x').mkdir(); (tmp_path / 'x' / 'o.jsonl').write_text(json.dumps({'group': 'screen', 'seed': 203}) + '\n')
    assert not A.overfit_seeds_are_fresh(tmp_path)
    (tmp_path / 'x' / 'o.jsonl').write_text(json.dumps({'group': 'confirm', 'seed': 203}) + '\n')
    assert A.overfit_seeds_are_fresh(tmp_path)
    (tmp_path / 'overfit').mkdir(); (tmp_path / A.OVERFIT_CONFUSION).write_text(json.dumps({'seeds': [203]}))
    assert A.overfit_seeds_are_fresh(tmp_path)                              # the confusion record only evaluates the confirmation's networks
    (tmp_path / 'overfit' / 'other.json').write_text(json.dumps({'seeds': [203]}))
    assert not A.overfit_seeds_are_fresh(tmp_path)

# ------------------------------------------------------------------------------------------------ the arms' confusion matrices
def _confrec():
    base = [[8, 2, 0], [0, 5, 5], [0, 0, 0]]                 # class c predicted, never present: IoU 0
    cct = [[9, 1, 0], [0, 2, 8], [0, 0, 0]]
    mats = {'7': {'baseline': {w: base for w in ('labeled', 'unlabeled', 'val')}, 'cct': {w: cct for w in ('labeled', 'unlabeled', 'val')}}}
    return {'benchmark': 'overfit_confusion', 'arms': ['baseline', 'cct'], 'sets': ['labeled', 'unlabeled', 'val'],
            'classes': ['a', 'b', 'c'], 'seeds': [7], 'matrices': mats}

def test_confusion_iou_and_the_tables_on_made_up_matrices():
    iou = A.confusion_iou([[8, 2, 0], [0, 5, 5], [0, 0, 0]])
    assert list(iou) == pytest.approx([8 / 10, 5 / 12, 0])
    assert np.isnan(A.confusion_iou([[3, 0], [0, 0]])[1])                                    # neither present nor predicted
    t = A.overfit_confusion_tables(_confrec(), 'b')
    assert t['miou'].loc['val', 'baseline'] == pytest.approx(100 * (0.8 + 5 / 12 + 0) / 3)
    assert t['miou'].loc['val', 'cct − baseline'] == pytest.approx(100 * ((0.9 + 2 / 11) - (0.8 + 5 / 12)) / 3)
    assert t['per_seed'].loc[7, 'unlabeled'] == pytest.approx(t['miou'].loc['unlabeled', 'cct − baseline'])
    vc = t['val_classes']
    assert vc.loc['b', 'true share'] == pytest.approx(50) and vc.loc['b', 'cct: recall'] == pytest.approx(20)
    assert vc.loc['a', 'cct: predicted share'] == pytest.approx(45) and vc.loc['b', 'baseline: precision'] == pytest.approx(5 / 7 * 100)
    assert t['recall'].loc['labeled', 'cct'] == pytest.approx(20) and t['recall'].loc['val', 'baseline'] == pytest.approx(50)
    assert list(t['flow'].index) == ['b', 'c'] and t['flow'].loc['c', 'cct'] == pytest.approx(80)   # where b's pixels went; rows under 2 % dropped
    with pytest.raises(ValueError, match='focus'): A.overfit_confusion_tables(_confrec(), 'tree')

def test_read_overfit_confusion_checks_the_record(tmp_path):
    p = tmp_path / 'c.json'
    p.write_text(json.dumps(_confrec())); assert A.read_overfit_confusion(p)['seeds'] == [7]
    bad = _confrec(); bad['matrices']['7']['cct']['val'] = [[1, 2], [3, 4]]
    p.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match='seed 7, cct, val'): A.read_overfit_confusion(p)
    bad = _confrec(); bad['seeds'] = [7, 8]
    p.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match='seeds'): A.read_overfit_confusion(p)
