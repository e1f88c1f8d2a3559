"""Write README.md from nbs/index.ipynb (nbdev's readme_nb), since Quarto (and so nbdev_readme) is not
available here. Markdown cells are copied as they are, with links and images relative to the notebook's folder
(`../docs/x.png`, which JupyterLab resolves from nbs/) rewritten relative to the repository root (`docs/x.png`, which
the repository page resolves from README.md); code cells are shown as fenced Python blocks.
`--check` exits 1 when README.md is out of date instead of writing it."""
import re, sys, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def root_relative(md:str) -> str:
    "Markdown links and images written from nbs/ (`](../docs/a.png)`) made relative to the repository root (`](docs/a.png)`)."
    return re.sub(r'\]\(\.\./', '](', md)

def readme_text(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    "README.md's text from the index notebook."
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        if not src or src.startswith('#| hide'): continue
        parts.append(root_relative(src) if c['cell_type'] == 'markdown' else f"```python\n{src}\n```")
    return '<!-- generated from nbs/index.ipynb by scripts/sync_readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = readme_text(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text: print('README.md is out of date with nbs/index.ipynb: run scripts/sync_readme.py'); sys.exit(1)
    else: readme.write_text(text)
