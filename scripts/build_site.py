"""The course readable without installing it: the lessons rendered with their outputs to a static HTML site.

Quarto (nbdev's own renderer) is not available on these machines, so the site is built with Jupyter's nbconvert:
each lesson of `nbs/lessons/` (and the front page `nbs/index.ipynb`) is executed in its own folder with nbclient,
exactly as Run All would, then exported to one self-contained HTML page (figures and markdown images embedded as
data URIs, so a page works on its own), and `index.html` lists them in order with their run times.

    python scripts/build_site.py [--out _site] [--only REGEX] [--executed DIR] [--timeout 900]

`--executed DIR` renders notebooks that were already run (e.g. saved from JupyterLab by `tests/test_browser.py`)
instead of executing them again. Nothing is written outside `--out`.
"""
from __future__ import annotations
import argparse, html, json, os, re, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / 'nbs' / 'lessons'

def lesson_paths(only:str='') -> list: # a regex on file names ('' = every lesson)
    "The lesson notebooks in reading order."
    return [p for p in sorted(LESSONS.glob('[0-9]*.ipynb')) if re.search(only, p.name)]

def execute(path:Path, # a notebook
            timeout:int=900): # seconds per cell
    "Run every cell of `path` in a fresh kernel with the notebook's folder as working directory: (notebook node, seconds)."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    t0 = time.time()
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    return nb, time.time() - t0

def error_outputs(nb) -> list:
    "Every output of `nb` that reports an error: an `error` output, or a stderr stream holding a traceback."
    bad = []
    for i, c in enumerate(nb.cells):
        for o in c.get('outputs', []):
            if o.get('output_type') == 'error': bad.append(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
            elif o.get('output_type') == 'stream' and o.get('name') == 'stderr' and 'Traceback' in o.get('text', ''):
                bad.append(f"cell {i}: a traceback on stderr")
    return bad

def rebase_links(md:str, # markdown of a notebook in `src_dir`
                 src_dir:Path) -> str:
    "Relative links and images of `md` rewritten relative to the project root (nbconvert embeds only images under its path)."
    def fix(m):
        target = m[2]
        if re.match(r'^[a-z]+:|^#|^/', target): return m[0]
        return f"{m[1]}({os.path.relpath((src_dir / target).resolve(), ROOT)})"
    return re.sub(r'(\]|\]\s)\(([^)\s]+)\)', fix, md)

def to_html(nb, # an executed notebook node
            src:Path) -> str: # where it came from (its markdown links are relative to its folder)
    "One self-contained HTML page: outputs and markdown images embedded."
    import copy
    from nbconvert import HTMLExporter
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == 'markdown': c.source = rebase_links(c.source, src.resolve().parent)
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(nb, resources={'metadata': {'path': str(ROOT)}})
    return body

def page_title(nb, default:str) -> str:
    "The notebook's first `# ` heading."
    for c in nb.cells:
        if c.cell_type == 'markdown':
            m = re.search(r'^# (.+)$', c.source, re.M)
            if m: return m[1].strip()
    return default

def index_page(rows:list) -> str: # (file name, title, seconds or None)
    "The site's front page: the lessons in order."
    items = '\n'.join(f'<li><a href="{html.escape(f)}">{html.escape(t)}</a>'
                      + (f' <small>({s:.0f} s to run)</small>' if s is not None else '') + '</li>' for f, t, s in rows)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>cct_nb: the course</title></head><body>'
            f'<h1>cct_nb: Cross-Consistency Training, the course</h1><p><a href="index_notebook.html">Front page</a></p>'
            f'<ol>{items}</ol></body></html>')

def build_site(out:Path, # the site's folder (replaced)
               only:str='', # regex on lesson file names
               executed:Path=None, # render the notebooks found here (already run) instead of executing them
               timeout:int=900) -> dict:
    "Execute (or take already executed) lessons, render each to `out/<name>.html`, write `out/index.html`; returns a report."
    import nbformat
    out = Path(out)
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    report, rows = {'pages': []}, []
    for src in [ROOT / 'nbs' / 'index.ipynb'] + lesson_paths(only):
        done = Path(executed) / src.name if executed else None
        if done is not None and done.exists(): nb, secs = nbformat.read(done, as_version=4), None
        elif executed and src.name != 'index.ipynb': raise FileNotFoundError(f"{done}: no executed copy of {src.name}")
        else: nb, secs = execute(src, timeout)
        name = 'index_notebook.html' if src.name == 'index.ipynb' else src.stem + '.html'
        (out / name).write_text(to_html(nb, src), encoding='utf-8')
        report['pages'].append({'notebook': src.name, 'page': name, 'seconds': secs, 'errors': error_outputs(nb)})
        if src.name != 'index.ipynb': rows.append((name, page_title(nb, src.stem), secs))
        print(f"{name}: {'rendered' if secs is None else f'executed in {secs:.0f} s'}"
              + (f", {len(report['pages'][-1]['errors'])} error output(s)" if report['pages'][-1]['errors'] else ''), flush=True)
    (out / 'index.html').write_text(index_page(rows), encoding='utf-8')
    (out / 'report.json').write_text(json.dumps(report, indent=1))
    return report

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=str(ROOT / '_site'))
    ap.add_argument('--only', default='', help='regex on lesson file names')
    ap.add_argument('--executed', default=None, help='render already executed copies from this folder')
    ap.add_argument('--timeout', type=int, default=900, help='seconds per cell')
    a = ap.parse_args()
    r = build_site(Path(a.out), a.only, Path(a.executed) if a.executed else None, a.timeout)
    bad = [p for p in r['pages'] if p['errors']]
    for p in bad: print(f"{p['notebook']}: " + '; '.join(p['errors']))
    sys.exit(1 if bad else 0)
