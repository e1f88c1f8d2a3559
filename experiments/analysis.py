"""The lab log's analysis: read the JSON records that `benchmarks/*.py` write to `benchmarks/results/`, check them,
and turn them into the tables, tests and figures of the notebooks in `experiments/`, and into `experiments/summary.json`,
the one file the course's results lesson reads.

The library (`cct_nb`) never reads a result file; this module and the notebooks beside it are the only readers.
Every function takes the records folder as `results` (default: `RESULTS`), so tests can point it elsewhere."""
from __future__ import annotations
import json, math, re, statistics, subprocess
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from scipy import stats
from fastcore.test import test_eq, test_close

__all__ = ['RESULTS', 'ROOT', 'read_record',
           # CamVid records (the old cct_nb.results module)
           'REQUIRED', 'FIG5_ORDER', 'SINGLE', 'GRID_SEEDS', 'load_records', 'cell_label', 'summary', 'cell_text', 'results_table',
           'fig5_table', 'plot_fig5', 'matched', 'claims', 'paired_gaps', 'per_class_table',
           # the over-fit regime (issue 35)
           'OVERFIT_RECORDS', 'OVERFIT_SCREEN_SEEDS', 'OVERFIT_CCT_ARMS', 'OVERFIT_PLANNED', 'OVERFIT_CONFIRM_ARMS', 'overfit_records', 'overfit_pairs', 'fit_check',
           'head_lag_table', 'plot_fit_curves', 'overfit_class_gaps', 'overfit_confirmation', 'overfit_seeds_are_fresh', 'overfit_report',
           'overfit_summary', 'OVERFIT_CONFUSION', 'read_overfit_confusion', 'confusion_iou', 'overfit_confusion_tables',
           # tests fixed in advance
           'fixed_test', 'paired_t_power', 'futility_at', 'probe_reading', 'gap_interval',
           'seeds_in', 'seeds_of_other_records', 'check_preregistered',
           # the scenes records
           'METHOD_KEYS', 'SCENES_FIGURE', 'record_pairs', 'paired_table', 'times_by_cpu', 'show_curves', 'class_gaps',
           # the CamVid n = 50 experiments
           'CAMVID_PLANNED', 'CAMVID_LONG_PLANNED', 'camvid_reference', 'check_camvid_records', 'camvid_pairs', 'print_camvid_pairs',
           'camvid_experiments',
           # every paired comparison
           'plot_gap_forest', 'forest_rows',
           # the other notebooks
           'learning_curve_points',
           # experiments/summary.json
           'SUMMARY_FORMAT', 'PAIRED_EXPERIMENTS', 'paired_entry', 'paired_entries', 'fig5_rows', 'claims_summary',
           'per_class_summary', 'learning_curve_summary', 'cluster_summary', 'git_commit', 'build_summary', 'check_summary',
           'write_summary', 'read_summary']

ROOT = Path(__file__).resolve().parent.parent                # the repository
RESULTS = ROOT / 'benchmarks' / 'results'                  # where the benchmark scripts write their records

def read_record(name:str, # a record's file name in `results`
                results:Path=RESULTS) -> dict: # the records folder
    "One JSON record of `results`."
    return json.loads((Path(results) / name).read_text())

# ---------------------------------------------------------------------------------------------------------------
# CamVid records: §4.4.1 (Fig. 5), Appendix B.1 (Table 5) and B.2 (Table 6), as `benchmarks/camvid.py` writes them
# ---------------------------------------------------------------------------------------------------------------
REQUIRED = ('cell', 'method', 'seed', 'n_labeled', 'miou', 'per_class_iou')
FIG5_ORDER = ('Baseline', 'I-VAT', 'F-Drop', 'F-Noise', 'DropOut', 'Obj-Msk', 'Con-Msk', 'G-Cutout', 'CCT full', 'CCT full + ab-CE')
SINGLE = FIG5_ORDER[1:8]
GRID_SEEDS = range(5)       # the grid's seeds; the baseline's and CCT full's seeds 5-24 are the pre-registered experiment of camvid.ipynb

def load_records(path): # a JSON-lines file of `benchmarks/camvid.py`
    "The records of `path`, each with its `label` (the paper's name of its configuration)."
    path = Path(path)
    if not path.is_file(): raise FileNotFoundError(f"{path}: no records file (run benchmarks/camvid.py)")
    recs = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip(): continue
        try: r = json.loads(line)
        except json.JSONDecodeError as e: raise ValueError(f"{path} line {i}: not JSON ({e})") from None
        missing = [k for k in REQUIRED if k not in r]
        if missing: raise ValueError(f"{path} line {i}: not a camvid.py record (missing {missing})")
        recs.append(r | {'label': cell_label(r)})
    return recs

def cell_label(r:dict): # a record
    "The paper's name of a record's configuration: 'Baseline', 'F-Noise', 'CCT full', 'CCT full + ab-CE', 'CCT KL', …"
    from cct_nb.perturbations import PAPER_NAMES
    if r['method'] == 'baseline': return 'Baseline'
    p = r.get('perturbations') or 'cct'
    if p != 'cct':
        names = [PAPER_NAMES.get(part.split(':')[0], part) for part in p.split(',')]
        return ' + '.join(names)
    name = 'CCT full'
    if r.get('sup_loss') == 'abce': name += ' + ab-CE'
    if r.get('unsup_loss') not in (None, 'mse'): name = f"CCT {r['unsup_loss'].upper()}"
    if r.get('conf_mask') is not None: name += ' + Conf-Mask'
    if r.get('class_balance') is not None: name += f" + class-balanced (α = {r['class_balance']:g})"
    if r.get('pairwise'): name += ' + P-Wise'
    return name

def summary(recs:list): # from `load_records`
    "{(label, n_labeled): {'mean', 'std', 'n', 'seeds'}} of the mIoU (in points)."
    groups = {}
    for r in recs: groups.setdefault((r['label'], r['n_labeled']), []).append(r)
    out = {}
    for k, rs in groups.items():
        v = [100 * r['miou'] for r in rs]
        out[k] = {'mean': statistics.mean(v), 'std': statistics.stdev(v) if len(v) > 1 else float('nan'), 'n': len(v),
                  'seeds': sorted(r['seed'] for r in rs)}
    return out

def cell_text(s): # one `summary` entry, or None
    "A table cell: the mean, and '± std (seeds)' when there are several seeds; '—' for no records."
    if s is None: return '—'
    return f"{s['mean']:.1f}" + (f" ± {s['std']:.1f} ({s['n']})" if s['n'] > 1 else '')

def results_table(recs:list, # from `load_records`
                  labels=FIG5_ORDER, # rows, in this order (labels without records are left out)
                  ns=None, # columns; default every n in the records
                  seeds=None): # only these seeds (default: all), so that the rows average the same seeds
    "A DataFrame of mIoU points: mean (± std (seeds) when several) per configuration and n."
    if seeds is not None: recs = [r for r in recs if r['seed'] in seeds]
    s = summary(recs)
    ns = sorted({n for _, n in s}) if ns is None else list(ns)
    rows = [l for l in labels if any((l, n) in s for n in ns)]
    return pd.DataFrame([[cell_text(s.get((l, n))) for n in ns] for l in rows], index=rows, columns=[f'n = {n}' for n in ns])

def fig5_table(recs:list, # from `load_records`
               seeds=None): # only these seeds (default: all)
    "Fig. 5 as a table: its configurations (rows, in the figure's order) by n (columns), mIoU points."
    return results_table(recs, FIG5_ORDER, seeds=seeds)

def plot_fig5(recs:list, # from `load_records`
              ax=None, # a matplotlib axis (a new figure by default)
              seeds=None): # only these seeds (e.g. `[0]`, the seed every Fig. 5 cell has, so that all bars are comparable)
    "Fig. 5 at this scale: mIoU per configuration (bars) for each n (groups), the baseline dashed."
    if seeds is not None: recs = [r for r in recs if r['seed'] in seeds]
    s = summary(recs)
    ns = sorted({n for l, n in s if l in FIG5_ORDER})
    labels = [l for l in FIG5_ORDER if any((l, n) in s for n in ns)]
    if ax is None: _, ax = plt.subplots(figsize=(2.2 + 0.45 * len(labels) * len(ns), 3.6))
    cmap, w = plt.get_cmap('tab10'), 0.8 / max(1, len(labels))
    for j, l in enumerate(labels):
        xs = [i + (j - (len(labels) - 1) / 2) * w for i, n in enumerate(ns) if (l, n) in s]
        e = [s[(l, n)] for n in ns if (l, n) in s]
        ax.bar(xs, [v['mean'] for v in e], w, yerr=[0 if math.isnan(v['std']) else v['std'] for v in e],
               color='lightgray' if l == 'Baseline' else cmap(j % 10), label=l, capsize=2)
    for i, n in enumerate(ns):
        if ('Baseline', n) in s: ax.plot([i - 0.45, i + 0.45], [s[('Baseline', n)]['mean']] * 2, 'k--', lw=1)
    ax.set_xticks(range(len(ns)), [f'{n} labels' for n in ns]); ax.set_ylabel('val mIoU (%)')
    ax.legend(fontsize=7, ncol=2, loc='upper left', bbox_to_anchor=(1.01, 1))
    ax.set_title('Fig. 5 on CamVid at CPU scale' + (f" (seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))})" if seeds else ''))
    return ax

def matched(recs:list, # from `load_records`
            labels, # configurations to compare
            n:int): # number of labels
    "{label: mean mIoU (points)} over the seeds that every one of `labels` has at `n`; None if they share none."
    seeds = {l: {r['seed'] for r in recs if r['label'] == l and r['n_labeled'] == n} for l in labels}
    common = set.intersection(*seeds.values()) if seeds else set()
    if not common: return None
    return {l: statistics.mean(100 * r['miou'] for r in recs if r['label'] == l and r['n_labeled'] == n and r['seed'] in common)
            for l in labels}

def claims(recs:list, # from `load_records`
           margin:float=1.0): # points: smaller differences are "no difference"
    "A DataFrame: each claim of §4.4.1 / App. B about these experiments, the paper's figures, ours (on matched seeds), and a verdict."
    ns = sorted({r['n_labeled'] for r in recs if r['label'] in FIG5_ORDER})
    rows = []
    def add(claim, paper, ours, ok):
        rows.append({'claim': claim, 'paper': paper, 'ours (mIoU points)': ours,
                     'verdict': {None: 'not measured', True: 'holds', False: 'does not hold', 'partly': 'partly'}[ok]})
    best_gain = {}
    for n in ns:
        m = matched(recs, ('Baseline',) + SINGLE, n)
        add(f'every perturbation alone beats the baseline (n = {n})', 'all 7, up to +21 at n = 20',
            '—' if m is None else ', '.join(f'{l} {m[l] - m["Baseline"]:+.1f}' for l in SINGLE),
            None if m is None else (True if all(m[l] - m['Baseline'] > margin for l in SINGLE) else
                                    'partly' if all(m[l] > m['Baseline'] for l in SINGLE) else False))
        v = matched(recs, SINGLE, n)
        add(f'the perturbations perform alike (n = {n})', '"insignificant gap"',
            '—' if v is None else f'spread {max(v.values()) - min(v.values()):.1f}',
            None if v is None else max(v.values()) - min(v.values()) <= 2 * margin)
        f = matched(recs, SINGLE + ('CCT full',), n)
        best = None if f is None else max(f[l] for l in SINGLE)
        add(f'CCT full ≥ the best single perturbation (n = {n})', '"slight improvement"',
            '—' if f is None else f"{f['CCT full']:.1f} vs {best:.1f}", None if f is None else f['CCT full'] >= best - margin)
        a = matched(recs, ('CCT full', 'CCT full + ab-CE'), n)
        add(f'ab-CE improves CCT full (n = {n})', 'up to +8 %', '—' if a is None else f"{a['CCT full + ab-CE'] - a['CCT full']:+.1f}",
            None if a is None else a['CCT full + ab-CE'] - a['CCT full'] > margin)
        gains = []
        for l in SINGLE + ('CCT full', 'CCT full + ab-CE'):
            g = matched(recs, ('Baseline', l), n)
            if g is not None: gains.append(g[l] - g['Baseline'])
        if gains: best_gain[n] = max(gains)
    add('the gain over the baseline is largest with the fewest labels', 'largest at n = 20',
        ', '.join(f'n = {n}: {v:+.1f}' for n, v in best_gain.items()) or '—',
        None if len(best_gain) < 2 else max(best_gain, key=best_gain.get) == min(best_gain))
    t5 = matched(recs, ('CCT full', 'CCT KL', 'CCT JS'), 50)
    add('Table 5: MSE ≈ JS, both above KL (n = 50)', 'VOC: MSE 58.6 / 64.4, JS 58.4 / 64.3, KL 54.0 / 62.5',
        '—' if t5 is None else f"MSE {t5['CCT full']:.1f}, JS {t5['CCT JS']:.1f}, KL {t5['CCT KL']:.1f}",
        None if t5 is None else abs(t5['CCT full'] - t5['CCT JS']) <= margin and min(t5['CCT full'], t5['CCT JS']) > t5['CCT KL'] + margin)
    cm, pw = (matched(recs, ('CCT full', l), 50) for l in ('CCT full + Conf-Mask', 'CCT full + P-Wise'))
    add('Table 6: Conf-Mask gives no gain (n = 50)', 'VOC: 58.4 vs 58.6, 63.3 vs 64.4',
        '—' if cm is None else f"{cm['CCT full + Conf-Mask'] - cm['CCT full']:+.1f}",
        None if cm is None else cm['CCT full + Conf-Mask'] - cm['CCT full'] <= margin)
    add('Table 6: P-Wise lowers the mIoU (n = 50)', 'VOC: −3.0 and −3.2',
        '—' if pw is None else f"{pw['CCT full + P-Wise'] - pw['CCT full']:+.1f}",
        None if pw is None else pw['CCT full + P-Wise'] - pw['CCT full'] < -margin)
    for label, claim, paper in (('CCT full', 'CCT beats the supervised baseline', 'every setting of the paper'),
                                ('DropOut', 'CCT with the DropOut decoders alone beats the baseline', 'Fig. 5: every perturbation helps'),
                                ('CCT full + Conf-Mask', 'CCT with Conf-Mask beats the baseline', 'Table 6: 58.4 and 63.3 on VOC')):
        pairs = paired_gaps(recs, label, 'Baseline', 50)
        if label != 'CCT full' and len(pairs) < 2: continue          # a row only once the variant has several seeds
        add(f'{claim} (n = 50, paired seeds)', paper,
            '—' if not pairs else ', '.join(f'seed {k}: {v:+.1f}' for k, v in pairs.items()) + f'; mean {statistics.mean(pairs.values()):+.1f}',
            None if len(pairs) < 2 else (True if statistics.mean(pairs.values()) > margin and all(v > 0 for v in pairs.values()) else
                                         'partly' if statistics.mean(pairs.values()) > margin else False))
    return pd.DataFrame(rows)

def paired_gaps(recs:list, # from `load_records`
                a:str, # the label compared ...
                b:str, # ... with this one
                n:int): # the number of labels
    "{seed: mIoU(a) − mIoU(b)} in points, over the seeds both have."
    by = {(r['label'], r['n_labeled'], r['seed']): 100 * r['miou'] for r in recs}
    return {sd: by[(a, n, sd)] - by[(b, n, sd)] for (l, m, sd) in sorted(by) if l == a and m == n and (b, n, sd) in by}

def per_class_table(recs:list, # from `load_records`
                    labels=('Baseline', 'CCT full'), # configurations (columns)
                    n:int=50, # number of labels
                    classes=None, # class names (default: CamVid's 11)
                    seeds=None): # only these seeds (default: all)
    "A DataFrame of IoU points per class (rows) and configuration (columns), mean over seeds."
    if seeds is not None: recs = [r for r in recs if r['seed'] in seeds]
    if classes is None:
        from cct_nb.data import DATASETS
        classes = DATASETS['camvid'].classes
    cols = {}
    for l in labels:
        rs = [r for r in recs if r['label'] == l and r['n_labeled'] == n]
        if not rs: continue
        iou = lambda r, i, c: r['per_class_iou'][c] if isinstance(r['per_class_iou'], dict) else r['per_class_iou'][i]   # by name or position
        cols[l] = [100 * statistics.mean(iou(r, i, c) for r in rs) for i, c in enumerate(classes)]
    return pd.DataFrame(cols, index=list(classes)).round(1)

# ---------------------------------------------------------------------------------------------------------------
# Tests fixed in advance: the decision rule, its power, the futility rule, the probe's reading, the seeds' freshness
# ---------------------------------------------------------------------------------------------------------------
def fixed_test(gaps:pd.Series, # the paired gap (points) of each seed run so far, indexed by seed
               planned:range, # the seeds fixed in advance; the final test runs when all of them are in
               alpha:float=0.05, # the final test's level (two-sided paired t-test)
               alpha_interim:float=0.001) -> bool: # an interim look's level (Haybittle-Peto)
    "Print the decision fixed in advance at this look: the paired t-test, the rule, and whether the seeds still to run can still meet the final test. True when CCT is called ahead."
    d = fixed_test_decision(gaps, planned, alpha, alpha_interim)
    final, level, met = d['final'], d['level'], d['met']
    print(f"paired t-test of the gap against 0: t = {d['t']:.2f}, two-sided p = {d['p']:.3f}")
    is_open = True                                                                 # can the seeds still to run change the final decision?
    if not final:
        m, xs = len(planned) - len(gaps), np.linspace(0, 100, 10001)              # each of them at the same gap x (a gap is at most 100 points)
        ps = stats.ttest_1samp(np.c_[np.tile(gaps.values, (len(xs), 1)), np.repeat(xs[:, None], m, 1)], 0., axis=1).pvalue
        ps[gaps.sum() + m * xs <= 0] = 1.                                          # the rule also wants a mean gap above 0
        is_open = bool((ps < alpha).any())
    seeds = f"seeds {planned[0]}-{planned[-1]}"
    print(f"the rule fixed in advance, {f'final test ({seeds})' if final else f'interim look at {len(gaps)} of the {len(planned)} seeds'}: mean gap > 0 and p < {level}: "
          + ('met' if met else 'not met') + ('' if final or met else f'; nothing is decided until {seeds} are all in' if is_open
                                             else '; and the final test can no longer be met, whatever the seeds still to run give'))
    if not final:
        print(f"for the final test to call CCT ahead, the {m} seeds still to run would each need a gap of at least {xs[ps < alpha].min():+.1f} points "
              f"(the largest gap so far: {gaps.max():+.1f})" if is_open else
              f"no result of the {m} seeds still to run can make the final test call CCT ahead: with each at the same gap x, the most favourable case, "
              f"the smallest p over 0 < x ≤ 100 points is {ps.min():.3f}")
    return met

def fixed_test_decision(gaps:pd.Series, planned:range, alpha:float=0.05, alpha_interim:float=0.001) -> dict: # as `fixed_test`
    "`fixed_test`'s decision without its printout: the t statistic, p, the level of this look, whether it is the final look, whether the rule is met."
    test_eq(set(gaps.index) <= set(planned), True)
    final = set(gaps.index) == set(planned)                                        # the test decides when every planned seed is in ...
    level = alpha if final else alpha_interim                                      # ... an interim look only at the stricter level
    tt = stats.ttest_1samp(gaps, 0.)
    return {'t': float(tt.statistic), 'p': float(tt.pvalue), 'level': level, 'final': final, 'met': bool(gaps.mean() > 0 and tt.pvalue < level)}

def paired_t_power(gap:float, # the true mean paired gap (points)
                   spread:float, # the true std of the gap over seeds (points)
                   n:int, # the number of seeds
                   alpha:float=0.05) -> float: # the test's level (two-sided)
    "Probability that a two-sided paired t-test over `n` seeds gives p < `alpha` (noncentral t)."
    nc, tc = gap / spread * n ** 0.5, stats.t.ppf(1 - alpha / 2, n - 1)
    return stats.nct.sf(tc, n - 1, nc) + stats.nct.cdf(-tc, n - 1, nc)

def futility_at(gaps:pd.Series, # the paired gap (points) of each seed run so far, indexed by seed
                first:range) -> bool|None: # the planned seeds whose mean decides; the rule applies once all of them are in
    "The futility rule added to the class-balanced experiment: once every seed of `first` is in, a mean gap ≤ 0 over them ends it as 'not ahead'. None before then, True when it stops the experiment, False when it goes on."
    span, n_in = f"seeds {first[0]}-{first[-1]}", len(set(first) & set(gaps.index))
    if n_in < len(first):
        print(f"the added futility rule waits for {span}: {n_in} of {len(first)} in"); return None
    m = gaps.loc[list(first)].mean()                                               # only these seeds count, whichever others are in
    stop = bool(m <= 0)
    print(f"the added futility rule, {span}: mean gap {m:+.1f} points, "
          + ('≤ 0: the experiment ends here, CCT not ahead' if stop else '> 0: the experiment goes on to the last planned seed'))
    return stop

def probe_reading(gaps:pd.Series, # the probe's paired gaps (points), one per seed
                  promising:float=2.0, # the mean gap that earns a full test ...
                  ahead:int=3) -> str: # ... together with CCT ahead on at least this many seeds
    "The reading of the long CamVid probe, fixed before it ran."
    if gaps.mean() >= promising and (gaps > 0).sum() >= ahead: return 'promising: the long run earns a full test fixed in advance on fresh seeds'
    if gaps.mean() <= 0: return 'no gap opens: four times the budget does not put CCT ahead on CamVid from random weights'
    return 'inconclusive'

def gap_interval(gaps:pd.Series, # paired gaps (points), one per seed
                 level:float=0.95) -> tuple: # the interval's coverage
    "Mean paired gap and its `level` confidence interval (t distribution over the seeds)."
    return (gaps.mean(), *stats.t.interval(level, len(gaps) - 1, loc=gaps.mean(), scale=stats.sem(gaps)))

def seeds_in(o) -> set: # a record, or any JSON value holding records
    "Every seed a JSON value names: the values of its keys 'seed' and 'seeds', at any depth."
    if isinstance(o, list): return set().union(*map(seeds_in, o))
    if not isinstance(o, dict): return set()
    v, vs = o.get('seed'), o.get('seeds')
    return set().union(*map(seeds_in, o.values())) | ({v} if isinstance(v, int) else set()) | (set(vs) if isinstance(vs, list) else set())

def seeds_of_other_records(name:str|None, # a record's path in `results` (None: no record is left out)
                           patterns=('*/scenes_*.json',), # which records: every scenes record, of every experiment folder
                           results:Path=RESULTS) -> set: # the records folder
    "The seeds every other record of `patterns` in `results` used, to check that a pre-registered experiment's seeds are fresh."
    found = {p for pat in patterns for p in Path(results).glob(pat)}
    return seeds_in([json.loads(p.read_text()) for p in sorted(found) if name is None or p.relative_to(results) != Path(name)])

def check_preregistered(rec:dict, # a `cct_vs_baseline` record of a pre-registered experiment
                        name:str, # its file name in `results`
                        planned:range, # the seeds fixed in advance
                        results:Path=RESULTS) -> list: # the records folder
    "The seeds of `rec`, after checking that each ran once, that all are among the planned seeds, and that no other scenes record used any of them."
    seeds = [r['seed'] for r in rec['runs']]
    test_eq(len(set(seeds)), len(seeds)); assert set(seeds) <= set(planned), (name, seeds)   # each once, only the pre-registered seeds
    test_eq(set(seeds) & seeds_of_other_records(name, results=results), set())               # fresh: no other scenes record used any of them
    return seeds

# ---------------------------------------------------------------------------------------------------------------
# The scenes records of `benchmarks/cct_vs_baseline.py` (and `abce_baseline.py`)
# ---------------------------------------------------------------------------------------------------------------
METHOD_KEYS = {'cct_vs_baseline': ('cct_miou', 'baseline_miou'), 'abce_baseline': ('abce_miou', 'ce_miou')}   # (method, its paired baseline)
SCENES_FIGURE = [  # the rows of scenes.ipynb's figure of every configuration, top to bottom: (label, record)
    ('4 epochs, $\\lambda_u$ = 30', 'scenes/scenes_cct_vs_baseline.json'),
    ('4 epochs, $\\lambda_u$ = 10', 'scenes/scenes_cct_vs_baseline_lambda10.json'),
    ('4 epochs, $\\lambda_u$ = 10 + Conf-Mask', 'scenes/scenes_cct_vs_baseline_confmask_lambda10.json'),
    ('8 epochs, $\\lambda_u$ = 30', 'scenes/scenes_cct_vs_baseline_8ep.json'),
    ('16 epochs, $\\lambda_u$ = 30', 'scenes/scenes_cct_vs_baseline_16ep.json'),
    ('16 epochs, $\\lambda_u$ = 30, ramp-up 0.5', 'scenes/scenes_cct_vs_baseline_16ep_rampup0.5.json'),
    ('16 epochs, $\\lambda_u$ = 30 + Conf-Mask', 'scenes/scenes_cct_vs_baseline_16ep_confmask.json'),
    ('16 epochs, $\\lambda_u$ = 10', 'scenes/scenes_cct_vs_baseline_16ep_lambda10.json'),
    ('16 epochs, $\\lambda_u$ = 10 + Conf-Mask', 'scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10.json'),
    ('16 epochs, $\\lambda_u$ = 10 + Conf-Mask, ramp-up 0.5', 'scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10_rampup0.5.json'),
    ('16 epochs, $\\lambda_u$ = 10 + Conf-Mask + ab-CE', 'scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10_abce.json'),
    ('16 epochs, the baseline with ab-CE (no CCT)', 'scenes/scenes_abce_baseline_16ep.json'),
    ('warm start: 16 + 8 epochs, $\\lambda_u$ = 10 + Conf-Mask', 'scenes/scenes_cct_vs_baseline_warm16_8ep.json'),
    ('warm start: 16 + 8 epochs, $\\lambda_u$ = 30 (paper)', 'scenes/scenes_cct_vs_baseline_warm16_8ep_paper.json'),
    ('warm start again (new stage 1), $\\lambda_u$ = 30', 'scenes/scenes_cct_vs_baseline_warm16_8ep_auxrandom.json'),
    ('the same, auxiliary decoders = copies of $g$', 'scenes/scenes_cct_vs_baseline_warm16_8ep_auxmain.json'),
    ('the same, $\\lambda_u$ = 3', 'scenes/scenes_cct_vs_baseline_warm16_8ep_lambda3.json'),
    ('the same (own init), stage 2 for 16 epochs', 'scenes/scenes_cct_vs_baseline_warm16_16ep.json'),
    ('the same, stage 2 for 32 epochs (fresh seeds, fixed in advance)', 'scenes/scenes_cct_vs_baseline_warm16_32ep.json')]

def record_pairs(rec:dict) -> pd.DataFrame: # a `cct_vs_baseline` or `abce_baseline` record
    "One row per seed, in the record's order: the method's and its paired baseline's val mIoU and their gap (points), after checking each seed's gap and the record's mean gap."
    m, b = METHOD_KEYS[rec['benchmark']]
    for r in rec['runs']: test_close(r['gap'], r[m] - r[b], eps=1e-9)                           # each seed's gap is the method − its own baseline
    t = pd.DataFrame([{'seed': r['seed'], 'method': 100 * r[m], 'baseline': 100 * r[b], 'gap': 100 * r['gap']} for r in rec['runs']]).set_index('seed')
    test_eq(t.index.is_unique, True)                                                               # each seed once
    test_close(statistics.mean(t['gap']), 100 * rec['gap']['mean'], eps=1e-6)                       # the record's mean is the seeds' mean
    return t

def paired_table(rec:dict, # a `cct_vs_baseline` record
                 halfway:bool=False) -> pd.DataFrame: # also the gap halfway through stage 2 (needs the per-epoch curves)
    "One row per seed of `rec`: stage 1, CCT, the baseline and their gap (val mIoU points), and the minutes each method took."
    h = rec['config']['epochs'] // 2 - 1                                          # the halfway epoch (index)
    for r in rec['runs']: test_close(r['gap'], r['cct_miou'] - r['baseline_miou'], eps=1e-9)   # each seed's gap is CCT − its own baseline
    return pd.DataFrame([{'seed': r['seed'], 'stage 1': 100 * r['init_miou'], 'CCT': 100 * r['cct_miou'], 'baseline': 100 * r['baseline_miou'],
                          'gap': 100 * r['gap']} | ({'gap halfway': 100 * (r['cct_curve'][h] - r['baseline_curve'][h])} if halfway else {})
                         | {'CCT (min)': r['cct_seconds'] / 60, 'baseline (min)': r['baseline_seconds'] / 60} for r in rec['runs']]).set_index('seed')

def times_by_cpu(rec:dict) -> dict: # a `cct_vs_baseline` record, merged from several runs or not
    "Print each CPU's seeds and minutes per seed of a merged record (its runs may come from several machines); {seed: CPU}."
    parts = rec.get('merged_from') or [{'seeds': rec['seeds'], 'machine': rec['machine']}]   # a record of one run has no parts
    cpu = {s: m['machine']['cpu'] for m in parts for s in m['seeds']}                 # each seed's CPU, from the part that ran it
    test_eq(sorted(cpu), sorted(r['seed'] for r in rec['runs']))                      # every seed has exactly one source
    for m in sorted(set(cpu.values())):
        rs = [r for r in rec['runs'] if cpu[r['seed']] == m]
        span = lambda k: f"{min(r[k] for r in rs) / 60:.1f}-{max(r[k] for r in rs) / 60:.1f} min"
        print(f"time per seed on {m} (one process per core), seeds {[r['seed'] for r in rs]}: CCT {span('cct_seconds')}, the baseline {span('baseline_seconds')}")
    return cpu

def show_curves(rec:dict) -> tuple: # a `cct_vs_baseline` record whose runs keep per-epoch curves
    "Plot and summarise the per-epoch val mIoU of both methods in a `cct_vs_baseline` record `rec`, for the seeds it keeps curves of; (CCT, baseline) curves in points."
    import inspect
    from fastai.learner import Learner
    from fastai.callback.schedule import combined_cos
    cv, n_ep = [r for r in rec['runs'] if r.get('cct_curve')], rec['config']['epochs']     # the seeds whose record keeps the per-epoch val mIoU
    for r in cv:
        test_eq((len(r['cct_curve']), len(r['baseline_curve'])), (n_ep, n_ep))                   # one val mIoU per epoch, both methods
        test_close(r['cct_curve'][-1], r['cct_miou'], eps=1e-6); test_close(r['baseline_curve'][-1], r['baseline_miou'], eps=1e-6)   # ends at the reported figure
    cc, bc = 100 * np.array([r['cct_curve'] for r in cv]), 100 * np.array([r['baseline_curve'] for r in cv])
    gc, ep, lr = cc - bc, np.arange(1, n_ep + 1), rec['config']['lr']
    oc = {k: v.default for k, v in inspect.signature(Learner.fit_one_cycle).parameters.items()}   # fit_seg calls fit_one_cycle with its defaults
    sched = combined_cos(oc['pct_start'], lr / oc['div'], lr, lr / oc['div_final'])                # the schedule fit_one_cycle builds from them
    pos = np.linspace(0, 1, 200)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    for c, b in zip(cc, bc): ax1.plot(ep, c, color='C0', alpha=0.3, lw=1); ax1.plot(ep, b, color='C1', alpha=0.3, lw=1)
    ax1.plot(ep, cc.mean(0), color='C0', lw=2.5, label='CCT (mean; thin: each seed)')
    ax1.plot(ep, bc.mean(0), color='C1', lw=2.5, label='baseline (mean; thin: each seed)')
    ax1.axhline(100 * np.mean([r['init_miou'] for r in cv]), color='0.4', ls=':', label='stage 1, where both start (mean)')
    ax1.set(xlabel='stage-2 epoch', ylabel='val mIoU (%)', title=f"warm start, stage 2 of {n_ep} epochs: seeds {[r['seed'] for r in cv]}"); ax1.legend()
    for gs in gc: ax2.plot(ep, gs, color='C2', alpha=0.3, lw=1)
    ax2.plot(ep, gc.mean(0), color='C2', lw=2.5, label='paired gap CCT − baseline (mean)'); ax2.axhline(0, color='k', lw=0.8)
    ax2.set(xlabel='stage-2 epoch', ylabel='gap (mIoU points)', title='the gap, and the learning rate (one cycle)')
    ax3 = ax2.twinx(); ax3.plot(pos * n_ep, [sched(float(p)) for p in pos], color='0.5', ls='--', label='lr'); ax3.set_ylabel('lr')
    ax2.legend(loc='upper left'); ax3.legend(loc='lower right'); plt.tight_layout(); plt.show()
    h = n_ep // 2 - 1                                                                            # index of the epoch halfway through
    print(f"seeds with curves: {[r['seed'] for r in cv]}")
    print(f"after epoch {h + 1} of {n_ep}: CCT {cc[:, h].mean():.1f}, baseline {bc[:, h].mean():.1f} (gap {gc[:, h].mean():+.1f}); "
          f"at the end: CCT {cc[:, -1].mean():.1f}, baseline {bc[:, -1].mean():.1f} (gap {gc[:, -1].mean():+.1f})")
    print(f"the second half adds CCT {(cc[:, -1] - cc[:, h]).mean():+.1f} ({', '.join(f'{v:+.1f}' for v in cc[:, -1] - cc[:, h])}), "
          f"the baseline {(bc[:, -1] - bc[:, h]).mean():+.1f} ({', '.join(f'{v:+.1f}' for v in bc[:, -1] - bc[:, h])})")
    print(f"epochs where the mean gap is above 0: {[int(e) for e in ep[gc.mean(0) > 0]]}")
    print('lowest gap of each seed: ' + ', '.join(f"seed {r['seed']}: {gs.min():+.1f} at epoch {gs.argmin() + 1}" for r, gs in zip(cv, gc)))
    print('best epoch of each seed (shown only; the comparison is at the last epoch): ' + ', '.join(
          f"seed {r['seed']}: CCT {c.max():.1f} at {c.argmax() + 1}, baseline {b.max():.1f} at {b.argmax() + 1}" for r, c, b in zip(cv, cc, bc)))
    print(f"largest epoch-to-epoch drop of val mIoU, mean over seeds: CCT {(-np.diff(cc, axis=1)).max(1).mean():.1f}, baseline {(-np.diff(bc, axis=1)).max(1).mean():.1f} points")
    return cc, bc

def class_gaps(rec:dict) -> pd.DataFrame: # a `cct_vs_baseline` record with per-class IoUs
    "CCT − baseline per class (seeds × classes, points), checked against each seed's mIoU gap."
    gaps = pd.DataFrame({r['seed']: {c: 100 * (r['cct_per_class_iou'][c] - r['baseline_per_class_iou'][c]) for c in r['cct_per_class_iou']}
                         for r in rec['runs']}).T
    test_close(gaps.mean(axis=1).values, 100 * np.array([r['gap'] for r in rec['runs']]), eps=1e-6)   # mIoU = the mean of the class IoUs
    return gaps

# ---------------------------------------------------------------------------------------------------------------
# CamVid, 50 labeled images: seeds 0-4 of the grid, the pre-registered seeds 5-24 and the 12-epoch probe (25-28)
# ---------------------------------------------------------------------------------------------------------------
CAMVID_PLANNED = range(5, 25)          # the seeds fixed before the CamVid n = 50 experiment ran
CAMVID_LONG_PLANNED = range(25, 29)    # the seeds fixed before the 12-epoch probe ran

def camvid_reference(recs:list) -> dict: # the grid's records (from `load_records`)
    "The configuration every CamVid n = 50 pair shares: the record of CCT full at seed 1 (the seeds group of seeds 0-4)."
    return next(r['config'] for r in recs if r['cell'] == 'n50_cct_seed1')

def check_camvid_records(recs:list, # `camvid.py` records of one experiment (from `load_records`)
                         group:str, # their group in camvid.py
                         ref:dict, # the configuration they must share: a reference record's
                         free=('seed', 'method'), # configuration keys that may differ from `ref`
                         defaults:dict|None=None): # cct_nb_train's defaults on CamVid (default: `run_config('camvid')`)
    "Check that each record is a Baseline or CCT full cell of `group` at n = 50 with `ref`'s configuration (but `free`), options added since at their defaults, each cell once."
    if defaults is None:
        from cct_nb.config import run_config
        defaults = run_config('camvid')
    for r in recs:
        test_eq((r['group'], r['n_labeled'], r['label'] in ('Baseline', 'CCT full')), (group, 50, True))
        test_eq({k: r['config'].get(k) for k in ref if k not in free}, {k: v for k, v in ref.items() if k not in free})
        test_eq({k: v for k, v in r['config'].items() if k not in ref}, {k: defaults[k] for k in r['config'] if k not in ref})   # options added since: at their defaults
    test_eq(len({(r['label'], r['seed']) for r in recs}), len(recs))              # each cell once

def camvid_pairs(recs:list) -> tuple: # checked records of one experiment
    "Paired gaps (a Series by seed), one row per seed (both mIoUs, the gap, minutes, CPU, commit) and the per-class gaps (seeds × classes), in points."
    gaps = pd.Series(paired_gaps(recs, 'CCT full', 'Baseline', 50), dtype=float)
    by = {(r['label'], r['seed']): r for r in recs}
    cct, base = ({s: by[l, s] for s in gaps.index} for l in ('CCT full', 'Baseline'))
    table = pd.DataFrame({'CCT': {s: 100 * r['miou'] for s, r in cct.items()}, 'baseline': {s: 100 * r['miou'] for s, r in base.items()}, 'gap': gaps,
                          'CCT (min)': {s: r['train_seconds'] / 60 for s, r in cct.items()}, 'baseline (min)': {s: r['train_seconds'] / 60 for s, r in base.items()},
                          'cpu': {s: r['machine']['cpu'] for s, r in cct.items()}, 'commit': {s: r['commit'] for s, r in cct.items()}}).rename_axis('seed')
    per_class = pd.DataFrame({s: {c: 100 * (cct[s]['per_class_iou'][c] - base[s]['per_class_iou'][c]) for c in cct[s]['per_class_iou']} for s in gaps.index}).T
    if len(gaps): test_close(per_class.mean(axis=1).values, gaps.values, eps=1e-6)   # mIoU = the mean of the class IoUs
    return gaps, table, per_class

def print_camvid_pairs(title:str, # what the rows are, e.g. 'CamVid n = 50'
                       recs:list, # the records `camvid_pairs` read
                       gaps:pd.Series, # `camvid_pairs`' result: the gaps ...
                       table:pd.DataFrame, # ... the table per seed ...
                       per_class:pd.DataFrame): # ... and the per-class gaps
    "The table per seed, the means, and the per-class gaps next to the baseline's IoU (reported, not tested)."
    print(table.round(1).to_string())
    print(f"{title}, seeds {list(gaps.index)}: CCT {table['CCT'].mean():.1f} ± {table['CCT'].std():.1f}, the baseline {table['baseline'].mean():.1f} ± "
          f"{table['baseline'].std():.1f}; gap {gaps.mean():+.1f} ± {gaps.std():.1f}, CCT ahead on {(gaps > 0).sum()} of {len(gaps)}")
    print('per-class gap (points), reported, not tested:')
    print(pd.DataFrame({'gap': per_class.mean(), 'std': per_class.std(), 'CCT ahead on': (per_class > 0).sum(),
                        'baseline IoU': per_class_table(recs, ('Baseline',), seeds=set(gaps.index))['Baseline']}).round(1).to_string())

def camvid_experiments(results:Path=RESULTS) -> dict: # the records folder
    "The three CamVid n = 50 comparisons, checked as camvid.ipynb checks them: {'seeds 0-4' | 'seeds 5-24' | '12 epochs': (records, gaps, table, per-class gaps)}."
    grid = load_records(Path(results) / 'camvid/camvid_grid.jsonl')
    ref = camvid_reference(grid)
    first = [r for r in grid if r['seed'] < 5 and r['n_labeled'] == 50 and r['label'] in ('Baseline', 'CCT full')]
    fresh = [r for r in grid if r['seed'] in CAMVID_PLANNED]
    check_camvid_records(fresh, 'seeds', ref)
    long = load_records(Path(results) / 'camvid/camvid_long.jsonl')
    test_eq({r['seed'] for r in long} <= set(CAMVID_LONG_PLANNED), True); test_eq({r['config']['epochs'] for r in long} <= {12}, True)
    check_camvid_records(long, 'long_seeds', ref, free=('seed', 'method', 'epochs'))
    out = {k: (rs, *camvid_pairs(rs)) for k, rs in (('seeds 0-4', first), ('seeds 5-24', fresh), ('12 epochs', long))}
    test_eq(list(out['seeds 0-4'][1].index), list(GRID_SEEDS))
    return out

# ---------------------------------------------------------------------------------------------------------------
# Every paired comparison at a glance
# ---------------------------------------------------------------------------------------------------------------
def plot_gap_forest(rows:list, # (label, gaps Series, fixed in advance?) per experiment, top to bottom
                    ax=None): # a matplotlib axis (a new figure by default)
    "Each seed's paired gap as a dot, the mean and its 95 % interval as a bar, one row per experiment; hollow dots: seeds added while looking."
    if ax is None: _, ax = plt.subplots(figsize=(8.5, 0.55 * len(rows) + 1.2))
    rng = np.random.default_rng(0)                                                # vertical jitter only, the same every run
    for y, (label, gaps, fixed) in enumerate(rows):
        ax.scatter(gaps.values, y + rng.uniform(-0.18, 0.18, len(gaps)), s=18, alpha=0.7,
                   facecolors='tab:blue' if fixed else 'none', edgecolors='tab:blue')
        m, lo, hi = gap_interval(gaps)
        ax.plot([lo, hi], [y, y], 'k-', lw=2.5); ax.plot([m], [y], 'k|', ms=14, mew=2.5)
    ax.axvline(0, color='gray', ls='--', lw=1)
    ax.set_yticks(range(len(rows)), [f"{l} ({len(g)})" for l, g, _ in rows]); ax.invert_yaxis()
    ax.set_xlabel('CCT − baseline, val mIoU points (each dot one seed; bar: mean and 95 % interval)')
    return ax

def forest_rows(results:Path=RESULTS) -> list: # the records folder
    "The rows of the figure of every paired comparison (label, gaps by seed in points, fixed in advance?), top to bottom, each read from its records."
    scenes = lambda f: paired_table(read_record(f, results))['gap']
    cv = camvid_experiments(results)
    g5, gl = cv['seeds 5-24'][1], cv['12 epochs'][1]
    go = overfit_pairs(overfit_records(Path(results) / OVERFIT_RECORDS), 'cct', group='confirm')['gap']
    return [('scenes, warm start, 16-epoch stage 2, seeds 0-9', scenes('scenes/scenes_cct_vs_baseline_warm16_16ep.json'), False),
            ('scenes, 32-epoch stage 2, seeds 10-17', scenes('scenes/scenes_cct_vs_baseline_warm16_32ep.json'), True),
            ('scenes, 16-epoch stage 2 again, seeds 20-33', scenes('scenes/scenes_cct_vs_baseline_warm16_16ep_confirm.json'), True),
            ('scenes, class-balanced L_u, seeds 40-47', scenes('scenes/scenes_cct_vs_baseline_warm16_16ep_classbal.json'), True),
            ('CamVid n = 50, seeds 0-4', cv['seeds 0-4'][1], False)] + \
           ([(f'CamVid n = 50, seeds {g5.index.min()}-{g5.index.max()}', g5, True)] if len(g5) > 1 else []) + \
           ([(f'CamVid n = 50, 12 epochs, seeds {gl.index.min()}-{gl.index.max()}', gl, True)] if len(gl) > 1 else []) + \
           ([(f'CamVid n = 20, over-fit regime, seeds {go.index.min()}-{go.index.max()}', go, True)] if len(go) > 1 else [])

# ---------------------------------------------------------------------------------------------------------------
# The other notebooks: the learning curve, and the cluster lesson's figure helpers
# ---------------------------------------------------------------------------------------------------------------
def learning_curve_points(f): # a `benchmarks/learning_curve.py` JSON
    "{n_labeled: [mIoU of each seed]} from a learning-curve record."
    runs = json.loads(Path(f).read_text())['runs']
    return {n: [r['miou'] for r in runs if r['n_labeled'] == n] for n in sorted({r['n_labeled'] for r in runs})}

# ---------------------------------------------------------------------------------------------------------------
# overfit.ipynb: the over-fit regime of issue 35 (benchmarks/overfit.py)
# ---------------------------------------------------------------------------------------------------------------
OVERFIT_RECORDS = 'overfit/overfit.jsonl'
OVERFIT_CONFUSION = 'overfit/confusion.json'   # benchmarks/overfit_confusion.py: the arms' confusion matrices per seed and image set
OVERFIT_FIELDS = ('cell', 'group', 'arm', 'seed', 'n_labeled', 'miou', 'per_class_iou', 'diagnostics', 'config', 'commit')
OVERFIT_SCREEN_SEEDS = (100, 101)          # the screen's paired seeds
OVERFIT_CCT_ARMS = ('cct', 'cct_auxsup', 'cct_pointwise')   # paper CCT and the variants the screen tried (benchmarks/overfit.py)
OVERFIT_PLANNED = range(200, 210)         # the confirmation's seeds, fixed in experiments/overfit.ipynb before its first run
OVERFIT_CONFIRM_ARMS = ('baseline', 'cct')   # the confirmation's arms, fixed with its seeds (the screen's reading picks them)

def overfit_records(path=None) -> list: # a JSON-lines file of `benchmarks/overfit.py` (default: RESULTS/overfit.jsonl)
    "The records of the over-fit regime, each checked for its fields and for one record per cell."
    path = Path(path) if path is not None else RESULTS / OVERFIT_RECORDS
    if not path.is_file(): return []
    recs = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    for r in recs:
        missing = [k for k in OVERFIT_FIELDS if k not in r]
        if missing: raise ValueError(f"{path}: record {r.get('cell')} has no {missing}")
    cells = [r['cell'] for r in recs]
    if len(set(cells)) != len(cells): raise ValueError(f"{path}: a cell recorded twice: {sorted(c for c in set(cells) if cells.count(c) > 1)}")
    return recs

def _overfit_paired(recs:list, arm:str, group:str=None, n_labeled:int=20, epochs:int=None) -> list:
    "(seed, `arm`'s record, the baseline's record) of every seed that has both, in seed order."
    keep = lambda r: r['n_labeled'] == n_labeled and (epochs is None or r['config']['epochs'] == epochs) and (group is None or r['group'] == group)
    by = {(r['arm'], r['seed']): r for r in recs if keep(r)}
    return [(s, r, by[('baseline', s)]) for (a, s), r in sorted(by.items(), key=lambda kv: kv[0][1]) if a == arm and ('baseline', s) in by]

def _minutes(r:dict) -> float: # an over-fit record
    "Its training minutes: every epoch's time when the record has it (a resumed cell's epochs before the kill too), else the last process's."
    return (r.get('epoch_seconds') or r['train_seconds']) / 60

def overfit_pairs(recs:list, # `overfit_records`
                  arm:str, # the CCT arm ('cct' or 'cct_auxsup')
                  group:str=None, # keep the seeds of one group (None: all)
                  n_labeled:int=20, epochs:int=None) -> pd.DataFrame: # the cells compared
    "One row per seed that has both `arm` and the baseline: both mIoUs and the gap (points), their labeled-set mIoU at the end."
    rows = []
    for s, r, b in _overfit_paired(recs, arm, group, n_labeled, epochs):
        lab = lambda x: 100 * x['diagnostics']['labeled_miou'][-1]['miou'] if x.get('diagnostics') and x['diagnostics'].get('labeled_miou') else np.nan
        rows.append({'seed': s, 'CCT': 100 * r['miou'], 'baseline': 100 * b['miou'], 'gap': 100 * (r['miou'] - b['miou']),
                     'CCT labeled': lab(r), 'baseline labeled': lab(b), 'CCT (min)': _minutes(r), 'baseline (min)': _minutes(b)})
    return pd.DataFrame(rows).set_index('seed') if rows else pd.DataFrame(columns=['CCT', 'baseline', 'gap'])

def fit_check(recs:list, margin:float=10.) -> pd.DataFrame: # the regime's bar: labeled-set mIoU at least `margin` points above val
    "Per baseline run: val and labeled-set mIoU at the end and at val's best epoch, and whether it over-fits by `margin` points."
    rows = []
    for r in recs:
        if r['arm'] != 'baseline' or not r.get('diagnostics'): continue
        d = r['diagnostics']
        val = {x['epoch']: 100 * x['miou'] for x in d['val_miou']}; lab = {x['epoch']: 100 * x['miou'] for x in d['labeled_miou']}
        best = max(val, key=val.get)
        last = max(lab)
        rows.append({'cell': r['cell'], 'n_labeled': r['n_labeled'], 'seed': r['seed'], 'val (end)': val[last], 'labeled (end)': lab[last],
                     'over-fit (end)': lab[last] - val[last], 'best val epoch': best, 'val (best)': val[best], 'over-fits': lab[last] - val[last] >= margin})
    return pd.DataFrame(rows).set_index('cell') if rows else pd.DataFrame()

def head_lag_table(recs:list, arm:str='cct') -> pd.DataFrame: # the CCT arm whose head lag to show
    "The share of L_u that is head lag (and that the perturbations alone make) at the start, middle and end of each run of `arm`."
    rows = []
    for r in recs:
        if r['arm'] != arm or not (r.get('diagnostics') or {}).get('head_lag'): continue
        hl = r['diagnostics']['head_lag']
        for when, h in (('start', hl[0]), ('middle', hl[len(hl) // 2]), ('end', hl[-1])):
            a = h['all']
            rows.append({'seed': r['seed'], 'when': when, 'epoch': h['epoch'], 'L_u (MSE)': a['total'], 'head lag (MSE)': a['lag'],
                         'perturbation (MSE)': a['perturbation'], 'lag share': a['lag_share'], 'perturbation share': a['perturbation_share'],
                         'pixels changed by lag': a['lag_changed'], 'by the perturbation': a['perturbation_changed']})
    return pd.DataFrame(rows)

def plot_fit_curves(recs:list, seed:int, arms=('baseline',) + OVERFIT_CCT_ARMS, ax=None): # one seed's runs of the regime
    "Labeled-set (dashed) and val (solid) mIoU per epoch of each arm of one seed."
    if ax is None: _, ax = plt.subplots(figsize=(7, 3.6))
    for i, arm in enumerate(arms):
        r = next((x for x in recs if x['seed'] == seed and x['arm'] == arm and x['n_labeled'] == 20 and x.get('diagnostics')), None)
        if r is None: continue
        d = r['diagnostics']
        ax.plot([x['epoch'] for x in d['val_miou']], [100 * x['miou'] for x in d['val_miou']], '-', color=f'C{i}', label=f'{arm}: val')
        ax.plot([x['epoch'] for x in d['labeled_miou']], [100 * x['miou'] for x in d['labeled_miou']], '--', color=f'C{i}', label=f'{arm}: labeled')
    ax.set(xlabel='epoch', ylabel='mIoU (%)', title=f'CamVid, 20 labeled, seed {seed}'); ax.legend(fontsize=7)
    return ax

def overfit_class_gaps(recs:list, # `overfit_records`
                       arm:str='cct', # the CCT arm
                       group:str=None, # keep the seeds of one group (None: all)
                       n_labeled:int=20) -> pd.DataFrame: # the cells compared
    "`arm` − baseline IoU per class (seeds × classes, points), checked against each seed's mIoU gap."
    rows = {s: {c: 100 * (r['per_class_iou'][c] - b['per_class_iou'][c]) for c in r['per_class_iou']} for s, r, b in _overfit_paired(recs, arm, group, n_labeled)}
    gaps = pd.DataFrame(rows).T
    if len(gaps):                                                                      # mIoU = the mean of the class IoUs
        test_close(gaps.mean(axis=1).values, overfit_pairs(recs, arm, group, n_labeled)['gap'].loc[gaps.index].values, eps=1e-6)
    return gaps

def overfit_confirmation(recs:list, # `overfit_records`
                         arm:str='cct', # the CCT arm tested against the baseline
                         planned:range=OVERFIT_PLANNED) -> dict|None: # the seeds fixed in advance
    "Print the pre-registered confirmation of `arm` at this look (the rule of `fixed_test`, the mean gap and its 95 % interval); its numbers."
    t = overfit_pairs(recs, arm, group='confirm')
    if len(t) and not set(t.index) <= set(planned): raise ValueError(f"confirmation seeds {sorted(set(t.index) - set(planned))} were not pre-registered")
    print(f"{arm} against the baseline, the confirmation: {len(t)} of the {len(planned)} planned seeds paired")
    if len(t) < 2: return None                                                       # a t-test needs two gaps
    gaps = t['gap']
    met = fixed_test(gaps, planned)
    mean, lo, hi = gap_interval(gaps)
    print(f"mean gap {mean:+.2f} points, 95 % interval [{lo:+.2f}, {hi:+.2f}]; CCT ahead on {(gaps > 0).sum()} of {len(gaps)} seeds")
    return {'seeds': [int(s) for s in gaps.index], 'gaps': [float(g) for g in gaps], 'mean': mean, 'interval': (lo, hi), 'met': met,
            'final': set(gaps.index) == set(planned)}

def overfit_seeds_are_fresh(results:Path=RESULTS, planned:range=OVERFIT_PLANNED) -> bool: # the records folder; the seeds fixed in advance
    "True when no record but the confirmation's own cells used any of the planned seeds (JSON records and every JSON-lines file); the confusion record (`OVERFIT_CONFUSION`) evaluates those cells' networks and trains nothing, so it is not another use."
    used = seeds_of_other_records(OVERFIT_CONFUSION, patterns=('*/*.json',), results=results)
    for f in sorted(Path(results).glob('*/*.jsonl')):
        lines = [json.loads(l) for l in f.read_text().splitlines() if l.strip()]
        used |= seeds_in([r for r in lines if r.get('group') != 'confirm'])
    return not (used & set(planned))

def read_overfit_confusion(path=None) -> dict: # the record (default: RESULTS/OVERFIT_CONFUSION)
    "`benchmarks/overfit_confusion.py`'s record, checked: one C×C matrix of counts per seed, arm and set; an error names what is wrong."
    path = Path(path) if path is not None else RESULTS / OVERFIT_CONFUSION
    rec = json.loads(path.read_text())
    if rec.get('benchmark') != 'overfit_confusion': raise ValueError(f"{path}: not an overfit_confusion record")
    C = len(rec['classes'])
    if sorted(rec['matrices']) != sorted(str(s) for s in rec['seeds']): raise ValueError(f"{path}: its matrices' seeds are not its seeds {rec['seeds']}")
    for s, arms in rec['matrices'].items():
        for arm in rec['arms']:
            for which in rec['sets']:
                m = np.asarray(arms.get(arm, {}).get(which, []))
                if m.shape != (C, C) or (m < 0).any(): raise ValueError(f"{path}: seed {s}, {arm}, {which}: not a {C}×{C} matrix of counts")
    return rec

def confusion_iou(cm) -> np.ndarray: # a C×C confusion matrix (rows: truth, columns: prediction)
    "IoU per class as a NumPy array, NaN for a class neither present nor predicted (the mIoU is their nan-mean): the library's `iou_per_class`."
    import torch
    from cct_nb.metrics import iou_per_class
    return iou_per_class(torch.as_tensor(np.asarray(cm, dtype=np.int64))).numpy()

def overfit_confusion_tables(rec:dict, # `read_overfit_confusion`
                             focus:str) -> dict: # a class whose val pixels to follow (e.g. the one CCT loses most on)
    "Tables from the matrices: mIoU per set and arm (mean over the seeds, points); each seed's gap per set; val class by class over all seeds (true and predicted share of pixels, recall, precision); where `focus`'s val pixels go; `focus`'s recall per set."
    arms, classes, seeds = rec['arms'], rec['classes'], [str(s) for s in rec['seeds']]
    if focus not in classes: raise ValueError(f"focus={focus!r}: not one of the record's classes {classes}")
    m = lambda s, a, w: np.asarray(rec['matrices'][s][a][w], dtype=float)
    miou = pd.DataFrame({a: {w: 100 * np.mean([np.nanmean(confusion_iou(m(s, a, w))) for s in seeds]) for w in rec['sets']} for a in arms})
    miou[f'{arms[1]} − {arms[0]}'] = miou[arms[1]] - miou[arms[0]]
    per_seed = pd.DataFrame({w: {int(s): 100 * (np.nanmean(confusion_iou(m(s, arms[1], w))) - np.nanmean(confusion_iou(m(s, arms[0], w)))) for s in seeds}
                             for w in rec['sets']}).rename_axis(f'{arms[1]} − {arms[0]} mIoU on, seed')
    tot = {a: sum(m(s, a, 'val') for s in seeds) for a in arms}
    cls = {'true share': 100 * tot[arms[0]].sum(1) / tot[arms[0]].sum()}
    for a in arms:
        t = tot[a]
        with np.errstate(invalid='ignore', divide='ignore'):
            cls |= {f'{a}: predicted share': 100 * t.sum(0) / t.sum(), f'{a}: recall': 100 * np.diag(t) / t.sum(1), f'{a}: precision': 100 * np.diag(t) / t.sum(0)}
    i = classes.index(focus)
    flow = pd.DataFrame({a: 100 * tot[a][i] / tot[a][i].sum() for a in arms}, index=classes)
    recall = pd.DataFrame({a: {w: 100 * (lambda t: t[i, i] / t[i].sum())(sum(m(s, a, w) for s in seeds)) for w in rec['sets']} for a in arms})
    return {'miou': miou.rename_axis('mIoU on'), 'per_seed': per_seed, 'val_classes': pd.DataFrame(cls, index=classes),
            'flow': flow[(flow > 2).any(axis=1)].rename_axis(f'val {focus} pixels predicted as (%)'), 'recall': recall.rename_axis(f'{focus} recall on')}

def overfit_report(recs:list): # `overfit_records`
    "Print the over-fit regime's screen and confirmation: the over-fit check, each arm's paired gaps, head lag, the test and the per-class gaps."
    fc = fit_check(recs)
    print('The over-fit check (baseline: labeled-set against val mIoU, points)'); print(fc.round(1).to_string() if len(fc) else '  no baseline run yet')
    for arm in OVERFIT_CCT_ARMS:
        t = overfit_pairs(recs, arm, group=None)
        t = t.loc[[s for s in t.index if s in OVERFIT_SCREEN_SEEDS]]
        print(f"\nThe screen, {arm} against the baseline (seeds {list(OVERFIT_SCREEN_SEEDS)})")
        print(t.round(1).to_string() if len(t) else '  none yet')
        if len(t): print(f"  mean gap {t['gap'].mean():+.1f} points")
        hl = head_lag_table([r for r in recs if r['seed'] in OVERFIT_SCREEN_SEEDS], arm)
        if len(hl): print(f"  head lag's share of L_u (mean over seeds): " + ', '.join(f"{w} {hl[hl.when == w]['lag share'].mean():.2f}" for w in ('start', 'middle', 'end')))
    for arm in OVERFIT_CONFIRM_ARMS[1:]:
        print()
        c = overfit_confirmation(recs, arm)
        t = overfit_pairs(recs, arm, group='confirm')
        if len(t): print(t.round(1).to_string())
        if c is not None:
            g = overfit_class_gaps(recs, arm, group='confirm')
            print('per-class gaps (points; mean over the seeds, and the seeds on which CCT is ahead)')
            print(pd.DataFrame({'mean gap': g.mean(), 'ahead on': (g > 0).sum()}).round(1).to_string())

def _curves(r:dict) -> dict: # an over-fit record with diagnostics
    d = r['diagnostics']
    return {'epochs': [x['epoch'] for x in d['val_miou']], 'val': [100 * x['miou'] for x in d['val_miou']],
            'labeled': [100 * x['miou'] for x in d['labeled_miou']]}

def _mean_curves(rs:list) -> dict: # over-fit records of one arm, with the same epochs
    "The per-epoch val and labeled-set mIoU averaged over the records, and each record's val curve."
    cs = [_curves(r) for r in rs]
    return {'epochs': cs[0]['epochs'], 'val': list(np.mean([c['val'] for c in cs], 0)), 'labeled': list(np.mean([c['labeled'] for c in cs], 0)),
            'val_each': [c['val'] for c in cs]}

def overfit_confirmation_block(recs:list, # `overfit_records`
                               arm:str='cct', # the CCT arm tested against the baseline
                               planned:range=OVERFIT_PLANNED) -> dict: # the seeds fixed in advance
    "summary.json's confirmation of `arm` so far: seeds and gaps; from one pair on, both arms' mean curves and the mean per-class gaps; from two on, the interval and the pre-registered rule at this look."
    c = overfit_pairs(recs, arm, group='confirm')
    out = {'seeds': [int(x) for x in c.index], 'gaps': [float(g) for g in c['gap']] if len(c) else []}
    if len(c):
        pairs = _overfit_paired(recs, arm, 'confirm')
        out['curves'] = {'baseline': _mean_curves([b for _, _, b in pairs]), arm: _mean_curves([r for _, r, _ in pairs])}
        out['per_class'] = {k: float(v) for k, v in overfit_class_gaps(recs, arm, 'confirm').mean().items()}
    if len(c) >= 2:
        mean, lo, hi = gap_interval(c['gap'])
        out |= {'mean': float(mean), 'interval': [float(lo), float(hi)]} | {k: v for k, v in fixed_test_decision(c['gap'], planned).items() if k != 't'}
    return out

def overfit_summary(results:Path=RESULTS) -> dict|None: # the records folder
    "summary.json's block of the over-fit regime: the over-fit check, the screen's gaps and head lag, one seed's curves, the confirmation so far."
    recs = overfit_records(Path(results) / OVERFIT_RECORDS)
    if not recs: return None
    fc = fit_check(recs)
    fit = {f'n{n}': {'seeds': [int(s) for s in g['seed']], 'val': list(g['val (end)']), 'labeled': list(g['labeled (end)']),
                     'val_best': list(g['val (best)'])} for n, g in fc.groupby('n_labeled')}
    screen, lag = {}, {}
    for arm in OVERFIT_CCT_ARMS:
        s = overfit_pairs([r for r in recs if r['group'] != 'confirm'], arm)
        if len(s): screen[arm] = {'seeds': [int(x) for x in s.index], 'gaps': list(s['gap']), 'labeled': list(s['CCT labeled'])}
        hl = head_lag_table([r for r in recs if r['group'] != 'confirm'], arm)
        if len(hl): lag[arm] = {w: float(hl[hl.when == w]['lag share'].mean()) for w in ('start', 'middle', 'end')}
    with_all = [s for s in OVERFIT_SCREEN_SEEDS if all(any(r['seed'] == s and r['arm'] == a and r['n_labeled'] == 20 for r in recs) for a in ('baseline', 'cct'))]
    one = {r['arm']: r for r in recs if with_all and r['seed'] == with_all[0] and r['n_labeled'] == 20}
    curves = {'seed': with_all[0], 'arms': {a: _curves(one[a]) for a in ('baseline',) + OVERFIT_CCT_ARMS if a in one}} if with_all else None
    conf = {arm: overfit_confirmation_block(recs, arm) for arm in OVERFIT_CONFIRM_ARMS[1:]}
    return {'regime': 'CamVid, 20 labeled + 347 unlabeled images at 96×128, ResNet-18 from random weights, z 128 channels, batch 8, '
                      'fastai recipe (lr 3e-3), 24 epochs (1,032 iterations), val mIoU on 101 images',
            'fit_check': fit, 'screen': screen, 'head_lag_share': lag, 'curves': curves,
            'confirmation': {'planned': list(OVERFIT_PLANNED), 'arms': list(OVERFIT_CONFIRM_ARMS), 'test': 'mean gap > 0 and two-sided paired t-test p < 0.05 '
                             'once all planned seeds are in (an interim look: p < 0.001)', 'pairs': conf},
            'records': [OVERFIT_RECORDS]}

def _check_overfit(o): # summary.json's 'overfit' block
    _need(isinstance(o, dict), 'overfit', 'an object')
    for k in ('regime', 'fit_check', 'screen', 'head_lag_share', 'curves', 'confirmation', 'records'): _need(k in o, f'overfit.{k}', 'missing')
    for n, f in o['fit_check'].items():
        _need(len(f['seeds']) == len(f['val']) == len(f['labeled']) and all(_is_num(x) for x in f['val'] + f['labeled']), f'overfit.fit_check.{n}', 'one val and labeled mIoU per seed')
    for where, pairs in (('screen', o['screen']), ('confirmation.pairs', o['confirmation']['pairs'])):
        for a, s in pairs.items():
            _need(len(s['seeds']) == len(s['gaps']) and all(_is_num(x) for x in s['gaps']), f'overfit.{where}.{a}', 'one gap per seed')
    _need(set(o['confirmation']['pairs']) <= set(o['confirmation']['arms']), 'overfit.confirmation.pairs', 'arms of the confirmation only')
    for a, s in o['confirmation']['pairs'].items():
        where = f'overfit.confirmation.pairs.{a}'
        _need(set(s['seeds']) <= set(o['confirmation']['planned']), where, 'planned seeds only')
        if s['seeds']:
            _need(abs(np.mean(list(s['per_class'].values())) - np.mean(s['gaps'])) < 1e-6, f'{where}.per_class', 'class gaps whose mean is the mean mIoU gap')
            for arm, c in s['curves'].items():
                _need(len(c['epochs']) == len(c['val']) == len(c['labeled']) and len(c['val_each']) == len(s['seeds']), f'{where}.curves.{arm}', 'one curve per seed')
        if len(s['seeds']) >= 2:
            _need(s['interval'][0] <= s['mean'] <= s['interval'][1] and abs(s['mean'] - np.mean(s['gaps'])) < 1e-6, f'{where}.interval', 'around the mean gap')
            _need(s['final'] == (set(s['seeds']) == set(o['confirmation']['planned'])), f'{where}.final', 'true once every planned seed is in')
            _need(s['met'] == (s['mean'] > 0 and s['p'] < s['level']), f'{where}.met', "the rule fixed in advance")
    if o['curves']:
        for a, c in o['curves']['arms'].items():
            _need(len(c['epochs']) == len(c['val']) == len(c['labeled']), f'overfit.curves.{a}', 'one val and labeled mIoU per epoch')

# ---------------------------------------------------------------------------------------------------------------
# experiments/summary.json: what the course's results lesson reads
# ---------------------------------------------------------------------------------------------------------------
SUMMARY_FORMAT = 'cct_nb-summary/1'
_WARM = 'warm start: both networks start from the seed\'s 16-epoch baseline (stage 1), then train stage 2 at peak lr 1e-3'
_SCENES = '30 labeled + 270 unlabeled scenes, ResNet-18 from random weights, z 256 channels, batch 8, fastai recipe (Adam + one cycle, lr 3e-3)'
_CAMVID = ('CamVid, 50 labeled + 317 unlabeled images at 96×128, ResNet-18 from random weights, z 128 channels, batch 8, fastai recipe (lr 3e-3), '
           'CCT full (30 decoders, MSE, λ_u = 30), val mIoU on 101 images')
PAIRED_EXPERIMENTS = [  # every paired comparison of the figures and the table of scenes.ipynb and the figure of summary.ipynb, in their order
    dict(id='scenes-4ep', source='scenes/scenes_cct_vs_baseline.json', title='Scenes, 4 epochs, the paper\'s λ_u = 30',
         regime=f'{_SCENES}; 4 epochs (132 iterations); λ_u = 30',
         verdict='Level: the gap follows the seed, CCT neither ahead nor behind on average.'),
    dict(id='scenes-4ep-lambda10', source='scenes/scenes_cct_vs_baseline_lambda10.json', title='Scenes, 4 epochs, λ_u = 10',
         regime=f'{_SCENES}; 4 epochs (132 iterations); λ_u = 10', verdict='Level within the seed-to-seed spread (three seeds).'),
    dict(id='scenes-4ep-confmask-lambda10', source='scenes/scenes_cct_vs_baseline_confmask_lambda10.json', title='Scenes, 4 epochs, Conf-Mask at λ_u = 10',
         regime=f'{_SCENES}; 4 epochs (132 iterations); λ_u = 10, Conf-Mask β = 0.5',
         verdict='A little ahead on average, no more reliable than the paper\'s settings.'),
    dict(id='scenes-4ep-camvid-backbone', source='scenes/scenes_cct_vs_baseline_camvid_backbone.json', title='Scenes, 4 epochs, encoders pretrained on CamVid',
         regime='30 labeled + 270 unlabeled scenes, ResNet-18 encoders pretrained on CamVid (benchmarks/camvid_backbone.py; backbone at lr/10), z 256 channels, batch 8, fastai recipe (lr 3e-3); 4 epochs (132 iterations); λ_u = 30',
         verdict='An encoder pretrained on CamVid helps neither method; CCT slightly behind.', figures=['scenes table only']),
    dict(id='scenes-8ep', source='scenes/scenes_cct_vs_baseline_8ep.json', title='Scenes, 8 epochs, λ_u = 30',
         regime=f'{_SCENES}; 8 epochs (264 iterations); λ_u = 30', verdict='Behind on average.'),
    dict(id='scenes-16ep', source='scenes/scenes_cct_vs_baseline_16ep.json', title='Scenes, 16 epochs, λ_u = 30',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 30',
         verdict='Behind: CCT under-fits its own labels and loses whole classes (triangle and pole at seed 2).'),
    dict(id='scenes-16ep-rampup0.5', source='scenes/scenes_cct_vs_baseline_16ep_rampup0.5.json', title='Scenes, 16 epochs, λ_u = 30, ramp-up over half of training',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 30, w_u ramped up over half of training; only CCT trained, the seed\'s baseline reused',
         verdict='A probe on one seed: the longer ramp-up softens the collapse, CCT still far behind.'),
    dict(id='scenes-16ep-confmask', source='scenes/scenes_cct_vs_baseline_16ep_confmask.json', title='Scenes, 16 epochs, Conf-Mask at λ_u = 30',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 30, Conf-Mask β = 0.5; only CCT trained, the seed\'s baseline reused',
         verdict='A probe on one seed: Conf-Mask alone does not stop the collapse.'),
    dict(id='scenes-16ep-lambda10', source='scenes/scenes_cct_vs_baseline_16ep_lambda10.json', title='Scenes, 16 epochs, λ_u = 10',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 10', verdict='A smaller weight softens the collapse without removing it.'),
    dict(id='scenes-16ep-confmask-lambda10', source='scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10.json', title='Scenes, 16 epochs, Conf-Mask at λ_u = 10',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 10, Conf-Mask β = 0.5',
         verdict='No seed collapses any more; CCT level with the baseline, not above it.'),
    dict(id='scenes-16ep-confmask-lambda10-rampup0.5', source='scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10_rampup0.5.json',
         title='Scenes, 16 epochs, Conf-Mask at λ_u = 10, ramp-up over half of training, on the two seeds it lost',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 10, Conf-Mask β = 0.5, w_u ramped up over half of training; only CCT trained, the same baselines',
         verdict='A later ramp-up does not rescue the two lost seeds.'),
    dict(id='scenes-16ep-confmask-lambda10-abce', source='scenes/scenes_cct_vs_baseline_16ep_confmask_lambda10_abce.json',
         title='Scenes, 16 epochs, Conf-Mask at λ_u = 10 + ab-CE (the paper\'s "CCT full + ab-CE")',
         regime=f'{_SCENES}; 16 epochs (528 iterations); λ_u = 10, Conf-Mask β = 0.5, ab-CE (Table 12\'s threshold schedule); only CCT trained, the same baselines',
         verdict='The tightest spread of the 16-epoch rows, still below the baseline.'),
    dict(id='scenes-16ep-abce-baseline', source='scenes/scenes_abce_baseline_16ep.json', method='baseline + ab-CE',
         title='Scenes, 16 epochs, control: the baseline trained with ab-CE against the plain-CE baseline (no CCT)',
         regime=f'{_SCENES}; 16 epochs (528 iterations); the supervised baseline with ab-CE, paired with the plain-CE baselines',
         verdict='Control: ab-CE is no reliable gain for the baseline either.'),
    dict(id='scenes-warm16-8ep', source='scenes/scenes_cct_vs_baseline_warm16_8ep.json', title='Scenes, warm start, 8-epoch stage 2, Conf-Mask at λ_u = 10',
         regime=f'{_SCENES}; {_WARM} for 8 epochs (264 iterations); λ_u = 10, Conf-Mask β = 0.5',
         verdict='Ahead on average by less than the seed-to-seed spread; not called a win.'),
    dict(id='scenes-warm16-8ep-paper', source='scenes/scenes_cct_vs_baseline_warm16_8ep_paper.json', title='Scenes, warm start, 8-epoch stage 2, the paper\'s settings',
         regime=f'{_SCENES}; {_WARM} for 8 epochs (264 iterations); λ_u = 30, no Conf-Mask; only CCT trained, the same stage-2 baselines',
         verdict='The warm start removes the collapse of the paper\'s settings; level with the baseline.'),
    dict(id='scenes-warm16-8ep-auxrandom', source='scenes/scenes_cct_vs_baseline_warm16_8ep_auxrandom.json',
         title='Scenes, warm start again on new stage-1 checkpoints, 8-epoch stage 2, the paper\'s settings',
         regime=f'{_SCENES}; {_WARM} for 8 epochs (264 iterations); λ_u = 30; auxiliary decoders\' own initialisation; retrained stage 1 and baselines',
         verdict='Reproduces the warm start\'s result on new checkpoints: level.'),
    dict(id='scenes-warm16-8ep-auxmain', source='scenes/scenes_cct_vs_baseline_warm16_8ep_auxmain.json',
         title='Scenes, warm start, 8-epoch stage 2, auxiliary decoders started as copies of the main decoder',
         regime=f'{_SCENES}; {_WARM} for 8 epochs (264 iterations); λ_u = 30; --aux-init main; the same checkpoints and baselines as its control',
         verdict='Copies of the main decoder hurt: CCT below its own-initialisation self on every seed.'),
    dict(id='scenes-warm16-8ep-lambda3', source='scenes/scenes_cct_vs_baseline_warm16_8ep_lambda3.json', title='Scenes, warm start, 8-epoch stage 2, λ_u = 3',
         regime=f'{_SCENES}; {_WARM} for 8 epochs (264 iterations); λ_u = 3; only CCT trained, the same baselines',
         verdict='A tenfold smaller weight changes nothing: the gap follows the seed.'),
    dict(id='scenes-warm16-16ep', source='scenes/scenes_cct_vs_baseline_warm16_16ep.json', title='Scenes, warm start, 16-epoch stage 2, the paper\'s settings',
         regime=f'{_SCENES}; {_WARM} for 16 epochs (528 iterations); λ_u = 30, no Conf-Mask',
         verdict='Ahead on 9 of 10 seeds, but the test fixed before seeds 6-9 (seeds added after looking) is not met: no win claimed.'),
    dict(id='scenes-warm16-16ep-lr3e-4', source='scenes/scenes_cct_vs_baseline_warm16_16ep_lr3e-4.json', title='Scenes, warm start, 16-epoch stage 2, peak lr 3e-4',
         regime=f'{_SCENES}; warm start from the seed\'s 16-epoch baseline, stage 2 for 16 epochs (528 iterations) at peak lr 3e-4; λ_u = 30',
         verdict='A probe on two seeds: a lower peak rate leaves both networks near stage 1; nothing reliable.', figures=['scenes table only']),
    dict(id='scenes-warm16-32ep', source='scenes/scenes_cct_vs_baseline_warm16_32ep.json', title='Scenes, warm start, 32-epoch stage 2 (fixed in advance)',
         regime=f'{_SCENES}; {_WARM} for 32 epochs (1056 iterations); λ_u = 30, no Conf-Mask', planned=range(10, 20),
         verdict='Not ahead: stopped after 8 of the 10 planned seeds, when the final test could no longer call CCT ahead.'),
    dict(id='scenes-warm16-16ep-confirm', source='scenes/scenes_cct_vs_baseline_warm16_16ep_confirm.json',
         title='Scenes, warm start, 16-epoch stage 2 again, on fresh seeds (fixed in advance)',
         regime=f'{_SCENES}; {_WARM} for 16 epochs (528 iterations); λ_u = 30, no Conf-Mask', planned=range(20, 36),
         verdict='Not ahead: the 16-epoch result does not replicate; stopped after 14 of the 16 planned seeds, when the final test could no longer call CCT ahead.'),
    dict(id='scenes-warm16-16ep-classbal', source='scenes/scenes_cct_vs_baseline_warm16_16ep_classbal.json',
         title='Scenes, warm start, 16-epoch stage 2, class-balanced L_u (fixed in advance)',
         regime=f'{_SCENES}; {_WARM} for 16 epochs (528 iterations); λ_u = 30, class-balanced L_u (α = 1)', planned=range(40, 56),
         verdict='Not ahead, and behind: stopped for futility after 8 of the 16 planned seeds; balancing moved the gap the wrong way.'),
    dict(id='scenes-n10-8ep', source='scenes/scenes_cct_vs_baseline_n10_8ep.json', title='Scenes, 10 labeled, 8 epochs',
         regime=f'{_SCENES.replace("30 labeled + 270", "10 labeled + 290")}; 8 epochs (288 iterations); λ_u = 30',
         verdict='Behind on average, where the labels limit the baseline most.', figures=['scenes table only']),
    dict(id='scenes-dropout-n10-8ep', source='scenes/scenes_dropout_cct_vs_baseline_n10_8ep.json', title='Scenes, 10 labeled, 8 epochs, the DropOut decoders alone',
         regime=f'{_SCENES.replace("30 labeled + 270", "10 labeled + 290")}; 8 epochs (288 iterations); λ_u = 30; only the DropOut decoders (K = 2)',
         verdict='One seed: behind.', figures=['scenes table only']),
    dict(id='camvid50-seeds0-4', source='seeds 0-4', dataset='camvid', records=['camvid/camvid_grid.jsonl'], title='CamVid, 50 labeled, seeds 0-4 of the grid',
         regime=f'{_CAMVID}; 3 epochs (117 iterations)', figures=['every paired comparison'],
         verdict='Ahead on average, on seeds added while looking; did not replicate on fresh seeds.'),
    dict(id='camvid50-seeds5-24', source='seeds 5-24', dataset='camvid', records=['camvid/camvid_grid.jsonl'], title='CamVid, 50 labeled, fresh seeds 5-24 (fixed in advance)',
         regime=f'{_CAMVID}; 3 epochs (117 iterations)', planned=CAMVID_PLANNED, figures=['every paired comparison'],
         verdict='Level: the test fixed in advance does not call CCT ahead.'),
    dict(id='camvid50-12ep-seeds25-28', source='12 epochs', dataset='camvid', records=['camvid/camvid_long.jsonl'],
         title='CamVid, 50 labeled, 12 epochs, fresh seeds 25-28 (a probe fixed in advance)',
         regime=f'{_CAMVID}; 12 epochs (468 iterations)', planned=CAMVID_LONG_PLANNED, figures=['every paired comparison'],
         verdict='Inconclusive, as the reading fixed in advance puts it: the test is not met and the probe does not earn a full test.'),
    dict(id='camvid20-overfit-seeds200-209', source=OVERFIT_RECORDS, dataset='camvid', records=[OVERFIT_RECORDS],
         title='CamVid, 20 labeled, 24 epochs, where the baseline over-fits: fresh seeds 200-209 (fixed in advance)',
         regime=_CAMVID.replace('50 labeled + 317', '20 labeled + 347') + '; 24 epochs (1,032 iterations)', planned=OVERFIT_PLANNED,
         figures=['every paired comparison'],
         verdict='Not called ahead: the test fixed in advance is not met (a positive mean whose interval includes 0); CCT fits its 20 labels less on every seed and is ahead on val on half of them.'),
]
_IN_FOREST = {'scenes/scenes_cct_vs_baseline_warm16_16ep.json', 'scenes/scenes_cct_vs_baseline_warm16_32ep.json',   # the scenes rows of `forest_rows`
              'scenes/scenes_cct_vs_baseline_warm16_16ep_confirm.json', 'scenes/scenes_cct_vs_baseline_warm16_16ep_classbal.json'}

def _figures(spec:dict) -> list: # one of `PAIRED_EXPERIMENTS`
    "The figures an experiment is a row of: 'scenes configurations' (scenes.ipynb), 'every paired comparison' (summary.ipynb), or the scenes table only."
    if 'figures' in spec: return spec['figures']
    return [f for f, ok in (('scenes configurations', spec['source'] in {f for _, f in SCENES_FIGURE}),
                            ('every paired comparison', spec['source'] in _IN_FOREST)) if ok]

def _num(x): # a number, possibly NaN
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

def paired_entry(spec:dict, # one of `PAIRED_EXPERIMENTS`
                 pairs:pd.DataFrame) -> dict: # one row per seed: 'method', 'baseline' and 'gap' in points
    "One entry of summary.json's `paired`: the experiment's description, its seeds and gaps, and their statistics (None where one seed cannot give them)."
    g, n = pairs['gap'], len(pairs)
    m, lo, hi = gap_interval(g) if n > 1 else (g.mean(), None, None)
    return {'id': spec['id'], 'title': spec['title'], 'dataset': spec.get('dataset', 'scenes'), 'regime': spec['regime'],
            'method': spec.get('method', 'CCT'), 'fixed_in_advance': 'planned' in spec,
            'planned_seeds': list(spec['planned']) if 'planned' in spec else None,
            'figures': _figures(spec),
            'seeds': [int(s) for s in pairs.index], 'gaps': [float(v) for v in g],
            'cct_miou': float(pairs['method'].mean()), 'baseline_miou': float(pairs['baseline'].mean()),
            'gap_mean': float(m), 'gap_std': _num(g.std()) if n > 1 else None, 'ci95': [float(lo), float(hi)] if n > 1 else None,
            'p': float(stats.ttest_1samp(g, 0.).pvalue) if n > 1 else None, 'ahead_on': int((g > 0).sum()),
            'verdict': spec['verdict'], 'records': spec.get('records', [spec['source']])}

def paired_entries(results:Path=RESULTS) -> list: # the records folder
    "summary.json's `paired`: every entry of `PAIRED_EXPERIMENTS`, its gaps read from its records (pre-registered seeds checked fresh)."
    cv, out = camvid_experiments(results), []
    for spec in PAIRED_EXPERIMENTS:
        if spec['source'] == OVERFIT_RECORDS:                                       # the over-fit regime's confirmation (overfit.ipynb)
            if not overfit_seeds_are_fresh(results, spec['planned']): raise ValueError(f"{spec['id']}: another record used a planned seed")
            t = overfit_pairs(overfit_records(Path(results) / OVERFIT_RECORDS), 'cct', group='confirm')
            pairs = pd.DataFrame({'method': t['CCT'], 'baseline': t['baseline'], 'gap': t['gap']})
        elif spec.get('dataset') == 'camvid':
            _, gaps, table, _ = cv[spec['source']]
            pairs = pd.DataFrame({'method': table['CCT'], 'baseline': table['baseline'], 'gap': gaps})
        else:
            rec = read_record(spec['source'], results)
            if 'planned' in spec: check_preregistered(rec, spec['source'], spec['planned'], results)
            pairs = record_pairs(rec)
        out.append(paired_entry(spec, pairs))
    test_eq([e['records'][0] for e in out if 'scenes configurations' in e['figures']], [f for _, f in SCENES_FIGURE])   # the figure's rows, in its order
    return out

def fig5_rows(recs:list, # the grid's records (from `load_records`)
              labels=FIG5_ORDER, # the configurations, in this order
              seeds=GRID_SEEDS, # only these seeds
              ns=None) -> dict: # only these numbers of labels (default: all)
    "{label: {n_labeled: [mean %, std % (None for one seed), seeds]}} over `seeds`, as the tables of camvid.ipynb."
    s = summary([r for r in recs if r['seed'] in seeds and (ns is None or r['n_labeled'] in ns)])
    return {l: {str(n): [v['mean'], _num(v['std']), v['n']] for (k, n), v in sorted(s.items(), key=lambda kv: kv[0][1]) if k == l}
            for l in labels if any(k == l for k, _ in s)}

def claims_summary(recs:list) -> list: # the grid's records (from `load_records`)
    "summary.json's `claims`: `claims(recs)` with its verdicts as 'yes', 'no', 'partly' or 'untested'."
    holds = {'holds': 'yes', 'does not hold': 'no', 'partly': 'partly', 'not measured': 'untested'}
    return [{'claim': r['claim'], 'paper': r['paper'], 'ours': r['ours (mIoU points)'], 'holds': holds[r['verdict']]} for _, r in claims(recs).iterrows()]

def per_class_summary(recs:list, # the checked records of the CamVid n = 50 seeds 5-24
                      gaps:pd.Series, # their paired gaps
                      per_class:pd.DataFrame) -> dict: # their per-class gaps (seeds × classes)
    "{class: {'cct_minus_baseline': mean gap, 'baseline_iou': the baseline's mean IoU}} in points, over the seeds of `gaps`."
    base = per_class_table(recs, ('Baseline',), seeds=set(gaps.index))['Baseline']
    return {c: {'cct_minus_baseline': float(per_class[c].mean()), 'baseline_iou': float(base[c])} for c in per_class.columns}

def learning_curve_summary(results:Path=RESULTS, # the records folder
                           files=('learning_curve/scenes_learning_curve.json', 'learning_curve/scenes_learning_curve_8ep.json', 'learning_curve/scenes_learning_curve_16ep.json')) -> dict:
    "{epochs: {n_labeled: [mean %, std % (None for one seed), seeds]}} of the baseline's learning curve on the scenes."
    out = {}
    for f in files:
        ep = str(read_record(f, results)['epochs_equivalent'])
        if ep in out: raise ValueError(f"{f}: a second learning curve at {ep} epochs")
        out[ep] = {str(n): [100 * float(np.mean(v)), 100 * float(np.std(v, ddof=1)) if len(v) > 1 else None, len(v)]
                   for n, v in learning_curve_points(Path(results) / f).items()}
    return out

def cluster_summary(results:Path=RESULTS) -> dict: # the records folder
    "{'scenes' | 'camvid': {map: mean boundary AUC}} from `cluster/cluster.json` (boundary radius 2)."
    d = read_record('cluster/cluster.json', results)
    return {ds: {k: float(v['auc']) for k, v in d[ds]['table'].items()} for ds in ('scenes', 'camvid')}

def git_commit(root:Path=ROOT) -> str|None: # the repository
    "The commit of HEAD, or None outside a git checkout."
    try: return subprocess.run(['git', '-C', str(root), 'rev-parse', 'HEAD'], capture_output=True, text=True, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError): return None

def build_summary(results:Path=RESULTS) -> dict: # the records folder
    "The content of summary.json, every figure computed from the records."
    grid = load_records(Path(results) / 'camvid/camvid_grid.jsonl')
    fresh, g, _, pc = camvid_experiments(results)['seeds 5-24']
    return {'format': SUMMARY_FORMAT, 'written_by': 'experiments/summary.ipynb', 'commit': git_commit(),
            'paired': paired_entries(results),
            'fig5': {'seeds': list(GRID_SEEDS), 'rows': fig5_rows(grid)},
            'tables5_6': {'seeds': list(GRID_SEEDS), 'rows': fig5_rows(grid, ('Baseline', 'CCT full', 'CCT KL', 'CCT JS', 'CCT full + Conf-Mask', 'CCT full + P-Wise'), ns=[50])},
            'claims': claims_summary(grid),
            'per_class_camvid50': per_class_summary(fresh, g, pc), 'per_class_camvid50_seeds': [int(s) for s in g.index],
            'learning_curve': learning_curve_summary(results), 'cluster': cluster_summary(results), 'overfit': overfit_summary(results)}

def _need(ok, where:str, what:str): # a condition, the field's path, what is wrong
    if not ok: raise ValueError(f"summary.json: {where}: {what}")

def _is_num(x): return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

def _check_triples(d, where:str): # {key: [mean, std or None, seeds]}
    _need(isinstance(d, dict) and d, where, 'a non-empty object')
    for k, v in d.items():
        _need(isinstance(v, list) and len(v) == 3 and _is_num(v[0]) and (v[1] is None or _is_num(v[1])) and isinstance(v[2], int) and v[2] >= 1,
              f'{where}.{k}', f'[mean, std or null, number of seeds], not {v!r}')
        _need((v[1] is None) == (v[2] == 1), f'{where}.{k}', 'std is null exactly when there is one seed')

_PAIRED_TYPES = {'id': str, 'title': str, 'dataset': str, 'regime': str, 'fixed_in_advance': bool, 'seeds': list, 'gaps': list,
                 'cct_miou': float, 'baseline_miou': float, 'gap_mean': float, 'verdict': str, 'records': list}

def _check_paired(e, where:str): # one entry of `paired`
    _need(isinstance(e, dict), where, 'an object')
    for k, t in _PAIRED_TYPES.items():
        _need(k in e, f'{where}.{k}', 'missing')
        _need(_is_num(e[k]) if t is float else isinstance(e[k], t), f'{where}.{k}', f'a {t.__name__}, not {e[k]!r}')
    for k in ('gap_std', 'ci95', 'p'): _need(k in e, f'{where}.{k}', 'missing')
    _need(re.fullmatch(r'[a-z0-9][a-z0-9.-]*', e['id']) is not None, f'{where}.id', f'a short slug, not {e["id"]!r}')
    _need(e['dataset'] in ('scenes', 'camvid'), f'{where}.dataset', f"'scenes' or 'camvid', not {e['dataset']!r}")
    for k in ('title', 'regime', 'verdict'): _need(e[k].strip() and '\n' not in e[k], f'{where}.{k}', 'one non-empty line')
    s, g, n = e['seeds'], e['gaps'], len(e['seeds'])
    _need(n >= 1 and all(isinstance(x, int) and not isinstance(x, bool) for x in s) and len(set(s)) == n, f'{where}.seeds', 'distinct integers, at least one')
    _need(len(g) == n, f'{where}.gaps', f'{len(g)} gaps for {n} seeds')
    _need(all(_is_num(x) for x in g), f'{where}.gaps', 'numbers')
    _need(all(isinstance(r, str) and r for r in e['records']) and e['records'], f'{where}.records', 'file names, at least one')
    for k in ('cct_miou', 'baseline_miou'): _need(0 <= e[k] <= 100, f'{where}.{k}', f'a mean mIoU in %, not {e[k]}')
    _need(abs(e['gap_mean'] - statistics.mean(g)) < 1e-6, f'{where}.gap_mean', f"{e['gap_mean']} is not the mean of the gaps ({statistics.mean(g)})")
    _need(abs(e['gap_mean'] - (e['cct_miou'] - e['baseline_miou'])) < 1e-6, f'{where}.gap_mean', 'not cct_miou − baseline_miou')
    if n == 1:
        for k in ('gap_std', 'ci95', 'p'): _need(e[k] is None, f'{where}.{k}', 'null for one seed')
        return
    _need(_is_num(e['gap_std']) and abs(e['gap_std'] - statistics.stdev(g)) < 1e-6, f'{where}.gap_std', 'not the std of the gaps')
    ci = e['ci95']
    _need(isinstance(ci, list) and len(ci) == 2 and all(_is_num(x) for x in ci), f'{where}.ci95', f'[lo, hi], not {ci!r}')
    _need(ci[0] < e['gap_mean'] < ci[1], f'{where}.ci95', f"{ci} is not around the mean gap {e['gap_mean']}")
    _need(_is_num(e['p']) and 0 <= e['p'] <= 1, f'{where}.p', f"a p-value, not {e['p']!r}")
    if e.get('planned_seeds') is not None: _need(set(s) <= set(e['planned_seeds']), f'{where}.seeds', 'seeds outside the planned ones')

def check_summary(d:dict) -> dict: # the content of summary.json
    "`d` if it follows summary.json's schema; otherwise a ValueError naming the bad field."
    _need(isinstance(d, dict), 'top level', 'an object')
    for k in ('format', 'written_by', 'commit', 'paired', 'fig5', 'claims', 'per_class_camvid50', 'learning_curve', 'cluster'): _need(k in d, k, 'missing')
    _need(d['format'] == SUMMARY_FORMAT, 'format', f'{SUMMARY_FORMAT!r}, not {d["format"]!r}')
    _need(isinstance(d['written_by'], str) and d['written_by'], 'written_by', 'a non-empty string')
    _need(d['commit'] is None or (isinstance(d['commit'], str) and re.fullmatch(r'[0-9a-f]{7,40}', d['commit'])), 'commit', 'a git commit or null')
    _need(isinstance(d['paired'], list) and d['paired'], 'paired', 'a non-empty list')
    for i, e in enumerate(d['paired']): _check_paired(e, f'paired[{i}]')
    ids = [e['id'] for e in d['paired']]
    _need(len(set(ids)) == len(ids), 'paired', f'ids repeated: {sorted({i for i in ids if ids.count(i) > 1})}')
    f5 = d['fig5']
    _need(isinstance(f5, dict) and isinstance(f5.get('seeds'), list) and all(isinstance(s, int) for s in f5['seeds']), 'fig5.seeds', 'a list of seeds')
    _need(isinstance(f5.get('rows'), dict) and f5['rows'], 'fig5.rows', 'a non-empty object')
    for l, row in f5['rows'].items(): _check_triples(row, f'fig5.rows.{l}')
    _need(isinstance(d['claims'], list) and d['claims'], 'claims', 'a non-empty list')
    for i, c in enumerate(d['claims']):
        for k in ('claim', 'paper', 'ours'): _need(isinstance(c.get(k), str), f'claims[{i}].{k}', 'a string')
        _need(c.get('holds') in ('yes', 'no', 'partly', 'untested'), f'claims[{i}].holds', f"yes, no, partly or untested, not {c.get('holds')!r}")
    pc = d['per_class_camvid50']
    _need(isinstance(pc, dict) and pc, 'per_class_camvid50', 'a non-empty object')
    for c, v in pc.items():
        _need(isinstance(v, dict) and _is_num(v.get('cct_minus_baseline')) and _is_num(v.get('baseline_iou')),
              f'per_class_camvid50.{c}', "{'cct_minus_baseline': number, 'baseline_iou': number}")
    _need(isinstance(d['learning_curve'], dict) and d['learning_curve'], 'learning_curve', 'a non-empty object')
    for ep, row in d['learning_curve'].items(): _check_triples(row, f'learning_curve.{ep}')
    for ds in ('scenes', 'camvid'):
        m = d['cluster'].get(ds) if isinstance(d['cluster'], dict) else None
        _need(isinstance(m, dict) and m and all(_is_num(a) and 0 <= a <= 1 for a in m.values()), f'cluster.{ds}', '{map name: AUC between 0 and 1}')
    if d.get('overfit') is not None: _check_overfit(d['overfit'])
    return d

def write_summary(path, # where to write it (experiments/summary.json)
                  results:Path=RESULTS) -> dict: # the records folder
    "Compute summary.json from the records, check it against its schema and write it; returns its content."
    d = check_summary(build_summary(results))
    Path(path).write_text(json.dumps(d, indent=1, ensure_ascii=False) + '\n')
    return d

def read_summary(path) -> dict: # a summary.json
    "The checked content of a summary.json."
    return check_summary(json.loads(Path(path).read_text()))
