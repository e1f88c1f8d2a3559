"""Packaging, README and CI agree with each other."""
import configparser, subprocess, sys
from pathlib import Path
from conftest import ROOT

def cfg():
    c = configparser.ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini'); return c['DEFAULT']

def test_readme_is_generated_from_index():
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'sync_readme.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout

def test_readme_test_command_is_what_ci_runs():
    readme, ci = (ROOT / 'README.md').read_text(), (ROOT / '.ci' / 'run').read_text()
    assert 'make test' in readme and 'make demo' in readme
    assert '\nmake test\n' in ci

def test_dev_extra_pins_the_verified_stack():
    dev = cfg()['dev_requirements'].split()
    for pin in ('torch==2.14.1', 'torchvision==0.29.1', 'nbdev==2.4.14', 'fastcore==1.14.5', 'execnb==0.1.18',
                'fastai==2.8.7', 'pydensecrf2==1.1'):
        assert pin in dev, pin
    assert not any('==' in r for r in cfg()['requirements'].split())   # runtime requirements stay loose

def test_console_scripts_registered():
    scripts = cfg()['console_scripts']
    for entry in ('cct_nb_train=cct_nb.cli:train_main', 'cct_nb_eval=cct_nb.cli:eval_main', 'cct_nb_predict=cct_nb.cli:predict_main'):
        assert entry in scripts, entry
    import importlib
    for entry in scripts.split():                       # every entry point resolves to a callable
        mod, fn = entry.split('=')[1].split(':')
        assert callable(getattr(importlib.import_module(mod), fn)), entry

def test_one_module_per_notebook():
    "Every notebook that exports writes its own module, and every module of the package comes from a notebook."
    mods = {}
    for nb in sorted((ROOT / 'nbs').glob('**/*.ipynb')):
        text = nb.read_text()
        if '#| default_exp ' not in text: continue
        mod = text.split('#| default_exp ')[1].split('\\n')[0].split('"')[0].strip()
        assert mod not in mods, f'{nb.name} and {mods.get(mod)} both export {mod}'
        mods[mod] = nb.name
        assert (ROOT / 'cct_nb' / f'{mod}.py').exists(), mod
    on_disk = {f.stem for f in (ROOT / 'cct_nb').glob('*.py')} - {'_modidx'}
    assert on_disk == set(mods), f'modules without a notebook: {sorted(on_disk - set(mods))}; notebooks without a module: {sorted(set(mods) - on_disk)}'

def lessons():
    "The lesson notebooks, in reading order."
    return sorted((ROOT / 'nbs' / 'lessons').glob('[0-9]*.ipynb'))

def cells(nb:Path):
    import json
    return json.loads(nb.read_text())['cells']

def test_lessons_are_short_and_end_with_a_summary_and_exercises():
    "A lesson teaches one idea: under 40k characters of source, a Summary and Exercises at the end."
    for nb in lessons():
        cs = cells(nb)
        size = sum(len(''.join(c['source'])) for c in cs)
        assert size < 40_000, f'{nb.name}: {size} characters'
        heads = [l for c in cs if c['cell_type'] == 'markdown' for l in ''.join(c['source']).splitlines() if l.startswith('## ')]
        assert heads[-2:] == ['## Summary', '## Exercises'], (nb.name, heads[-2:])

def test_lessons_never_read_benchmark_records():
    "Records live in benchmarks/results and are read by experiments/; a lesson reads at most experiments/summary.json."
    for nb in lessons():
        code = '\n'.join(''.join(c['source']) for c in cells(nb) if c['cell_type'] == 'code')
        assert 'benchmarks/results' not in code and '.jsonl' not in code, nb.name

def _links(md:str) -> list:
    import re
    return [m for m in re.findall(r'\]\(([^)\s]+)\)', md) if not m.startswith(('http://', 'https://', '#', 'mailto:'))]

def test_no_dangling_references():
    "Every relative link and image of the notebooks and the README resolves; no notebook names one that does not exist."
    import re
    names = {p.stem for p in (ROOT / 'nbs').glob('**/*.ipynb')}
    for nb in sorted((ROOT / 'nbs').glob('**/*.ipynb')) + sorted((ROOT / 'experiments').glob('*.ipynb')):
        for c in cells(nb):
            src = ''.join(c['source'])
            if c['cell_type'] == 'markdown':
                for link in _links(src): assert (nb.parent / link.split('#')[0]).exists(), f'{nb.name}: {link} does not exist'
            assert 'DESIGN.md' not in src, nb.name
            for ref in re.findall(r'`(\d\d_[a-z_]+)`', src):
                assert ref in names, f'{nb.name} names a notebook `{ref}` that does not exist'
    readme = (ROOT / 'README.md').read_text()
    for link in _links(readme): assert (ROOT / link.split('#')[0]).exists(), f'README.md: {link} does not exist'


def readme_toc():
    "{lesson: row cells} of the README's 'Learn CCT in order' table."
    text = (ROOT / 'README.md').read_text().split('## Learn CCT in order', 1)[1].split('\n## ', 1)[0]
    rows = [l for l in text.splitlines() if l.startswith('| `')]
    return {r.split('`')[1]: [c.strip() for c in r.strip('|').split('|')] for r in rows}

def test_readme_lists_every_lesson_with_its_measured_time():
    "The lesson map lists every lesson, with the fresh-clone Run All time `make notebook-times` measured."
    import json, re
    toc = readme_toc()
    nbs = [p.stem for p in lessons()]
    assert sorted(toc) == nbs
    times = {r['notebook'].removesuffix('.ipynb'): r for r in json.loads((ROOT / 'benchmarks' / 'results' / 'course/notebook_times.json').read_text())['notebooks']}
    for nb, cells in toc.items():                       # the time column is the measured one (benchmarks/results/course/notebook_times.json)
        m = re.match(r'(\d+(?:\.\d+)?) (s|min)', cells[-1])
        assert m, (nb, cells[-1])
        assert nb in times and times[nb]['ok'], f'{nb}: no successful timing in course/notebook_times.json'
        secs = times[nb]['seconds']
        shown = float(m[1]) * (60 if m[2] == 'min' else 1)
        assert abs(shown - secs) <= max(1, 0.05 * secs), (nb, cells[-1], secs)

def test_modules_compile_without_warnings():
    "nbdev copies each notebook's '> ' summary into its module docstring: LaTeX backslashes there are invalid escapes."
    import warnings
    for f in sorted((ROOT / 'cct_nb').glob('*.py')) + sorted((ROOT / 'benchmarks').glob('*.py')) + sorted((ROOT / 'scripts').glob('*.py')):
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            try: compile(f.read_text(), str(f), 'exec')
            except SyntaxError as e: raise AssertionError(f"{f.relative_to(ROOT)}: {e}") from None

CORE = {'config', 'data', 'scenes', 'model', 'kernels', 'perturbations', 'losses', 'metrics', 'lean', 'callbacks', 'checkpoint',
        'learner', 'train', 'inference'}   # the method; the rest (weak labels, domains, baselines, widgets, runs, ...) builds on it

def module_imports(pkg:Path):
    "{module: [(imported module, name or None, line)]} for every import between the modules of `pkg`, those inside functions included."
    import ast
    out = {}
    for f in sorted(pkg.glob('*.py')):
        if f.stem == '_modidx': continue
        found = []
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ''
                if node.level == 1: mod = f'{pkg.name}.{mod}' if mod else pkg.name
                if mod.startswith(pkg.name + '.'): found += [(mod.split('.')[1], a.name, node.lineno) for a in node.names]
            elif isinstance(node, ast.Import):
                found += [(a.name.split('.')[1], None, node.lineno) for a in node.names if a.name.startswith(pkg.name + '.')]
        out[f.stem] = found
    return out

def import_problems(pkg:Path, core=()):
    "Import cycles, private names imported from another module, and core modules importing outside the core."
    imps = module_imports(pkg)
    graph = {m: {d for d, _, _ in v if d != m} for m, v in imps.items()}
    state, cycles = {}, []
    def visit(m, path):
        state[m] = 'open'
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 'open': cycles.append(' -> '.join(path[path.index(d):] + [d]))
            elif d not in state: visit(d, path + [d])
        state[m] = 'done'
    for m in sorted(graph):
        if m not in state: visit(m, [m])
    private = [f'{m}:{line} imports {d}.{n}' for m, v in imps.items() for d, n, line in v if d != m and n and n.startswith('_')]
    outside = [f'{m} imports {d}' for m in core for d in graph.get(m, ()) if d not in core]
    return cycles, private, outside

def test_no_import_cycles_and_no_private_names_across_modules():
    "The modules form a DAG, counting imports inside functions; no module imports another's private (_name) names; the core imports only the core."
    cycles, private, outside = import_problems(ROOT / 'cct_nb', CORE)
    assert not cycles, f'import cycles: {cycles}'
    assert not private, private
    assert not outside, outside

def test_import_check_is_not_vacuous(tmp_path):
    "Two modules importing each other inside functions, a private name and a core module importing an extension are all reported."
    pkg = tmp_path / 'pk'; pkg.mkdir()
    (pkg / 'a.py').write_text("from .c import x\ndef f():\n    from pk.b import _g\n")
    (pkg / 'b.py').write_text("def _g():\n    import pk.a\n")
    (pkg / 'c.py').write_text("x = 1\n")
    cycles, private, outside = import_problems(pkg, core={'c', 'a'})
    assert cycles == ['a -> b -> a'], cycles
    assert private == ['a:3 imports b._g'], private
    assert outside == ['a imports b'], outside

def test_readme_speed_figures_come_from_the_record():
    "The README's speed table is the record's, and the figures of its sentence are read off the same record."
    import json
    d = json.loads((ROOT / 'benchmarks' / 'results' / 'speed' / 'train_step.json').read_text())
    readme = (ROOT / 'README.md').read_text()
    assert d['table_markdown'] in readme and d['commit'] in readme
    r = d['results']
    assert d['official'] is not None and all('official:semi' in r[s]['fp32'] for s in ('160', '320'))   # measured side by side
    ceiling = r['320']['fp32']['official:semi']['median_s'] / (2 * r['320']['fp32']['cct_nb:sup']['median_s'])
    assert f'{ceiling:.2f}× at 320²' in readme
    lo, hi = sorted(r[s]['fp32']['ratios']['semi_speedup'] for s in ('160', '320'))
    assert f'{lo:.1f}-{hi:.1f}× faster in float32' in readme

def test_readme_result_figures_come_from_the_summary():
    "The gaps the README's results paragraph quotes are summary.json's (experiments/summary.ipynb writes it from the records)."
    import json
    by = {e['id']: e for e in json.loads((ROOT / 'experiments' / 'summary.json').read_text())['paired']}
    readme = (ROOT / 'README.md').read_text().split('## What the results say', 1)[1].split('\n## ', 1)[0]
    for k in ('camvid50-seeds5-24', 'camvid20-overfit-seeds200-209'):
        e = by[k]
        assert f"a gap of {e['gap_mean']:+.1f} points (95 % interval {e['ci95'][0]:+.1f} to {e['ci95'][1]:+.1f}, {len(e['seeds'])} seeds" in readme, k
    assert f"{sum(e['fixed_in_advance'] for e in by.values())} experiments were fixed" in readme.replace('six', '6').replace('five', '5')
