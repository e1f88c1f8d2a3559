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
    mods = {}
    for nb in sorted((ROOT / 'nbs').glob('[0-9]*.ipynb')):
        text = nb.read_text()
        assert '#| default_exp ' in text, nb.name
        mod = text.split('#| default_exp ')[1].split('\\n')[0].split('"')[0].strip()
        assert mod not in mods, f'{nb.name} and {mods.get(mod)} both export {mod}'
        mods[mod] = nb.name
        assert (ROOT / 'cct_nb' / f'{mod}.py').exists(), mod

def readme_toc():
    "{notebook: row cells} of the README's 'Learn CCT in order' table."
    text = (ROOT / 'README.md').read_text().split('## Learn CCT in order', 1)[1].split('\n## ', 1)[0]
    rows = [l for l in text.splitlines() if l.startswith('| `')]
    return {r.split('`')[1]: [c.strip() for c in r.strip('|').split('|')] for r in rows}

def test_readme_lists_every_notebook_with_its_measured_time():
    import json, re
    toc = readme_toc()
    nbs = sorted(p.stem for p in (ROOT / 'nbs').glob('[0-9]*.ipynb'))
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
