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
    for entry in ('cct_nb_train=cct_nb.cli:train_main', 'cct_nb_eval=cct_nb.cli:eval_main', 'cct_nb_predict=cct_nb.evaluation:predict_main'):
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
    times = {r['notebook'].removesuffix('.ipynb'): r for r in json.loads((ROOT / 'benchmarks' / 'results' / 'notebook_times.json').read_text())['notebooks']}
    for nb, cells in toc.items():                       # the time column is the measured one (benchmarks/results/notebook_times.json)
        m = re.match(r'(\d+(?:\.\d+)?) (s|min)', cells[-1])
        assert m, (nb, cells[-1])
        assert nb in times and times[nb]['ok'], f'{nb}: no successful timing in notebook_times.json'
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
