"""The notebooks as a learner meets them: JupyterLab in headless Chromium, widgets included.

For every notebook with an ipywidgets explorer: start JupyterLab on 127.0.0.1 over a temporary copy, open the notebook,
Run → Run All Cells, check that no cell raised, then move the explorer's controls (a dropdown, a slider) and check that
the figure it shows changed and that nothing was reported (a callback's traceback lands in JupyterLab's Log Console).
Under `nbdev_test` an Output widget captures nothing, so this is the only test of the widget UI itself.

By default the copies leave out the `#| slow` cells, as `make test` runs the notebooks; `CCT_NB_BROWSER_FULL=1`
(`make browser-test`) runs every cell. Screenshots go to `test_out/browser/`; `CCT_NB_SCREENSHOTS=docs/screenshots`
(`make screenshots`) also writes the small PNGs the README shows. Needs Debian's `chromium` and pip's `playwright`;
without them the tests skip with the reason, except in CI (`CI` set), where they fail.
"""
import json, os, shutil, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))
import lab_browser as lb

pytestmark = pytest.mark.browser
FULL = os.environ.get('CCT_NB_BROWSER_FULL') == '1'
OUT = ROOT / 'test_out' / 'browser'

# What each explorer offers a learner to move, in order: (kind, the control's description, target or None for "another")
EXPLORERS = {
    '02_cluster.ipynb': [('dropdown', 'image', None), ('slider', 'patch', 0.8)],
    '06_perturbations.ipynb': [('dropdown', 'model', 'trained (scenes)'), ('slider', 'noise r', 0.8),
                               ('dropdown', 'perturbation', 'Con-Msk (context)')],
}
# With every cell (`CCT_NB_BROWSER_FULL=1`) the explorers also offer the trained networks
EXPLORERS_FULL = {'02_cluster.ipynb': [('dropdown', 'network', 'trained')]}

def test_every_widget_notebook_is_checked():
    "A new notebook with a widget must get an entry in EXPLORERS (what to move), or this browser test would miss it."
    found = {p.name for p in sorted((ROOT / 'nbs').glob('*.ipynb')) if lb.has_widgets(p)}
    assert found == set(EXPLORERS), f'widget notebooks {sorted(found)} but EXPLORERS lists {sorted(EXPLORERS)}'

def test_server_is_stopped_with_its_kernels_when_a_test_fails(tmp_path):
    "The server runs in its own session; leaving the `with` block by an exception stops it and its kernel, by pid."
    import psutil, urllib.request
    lb.stage([], tmp_path)
    with pytest.raises(RuntimeError, match='a failing test'):
        with lb.LabServer(tmp_path) as srv:
            urllib.request.urlopen(urllib.request.Request(f'{srv.url}/api/kernels', data=b'{}', method='POST'), timeout=60)
            pids = [srv.proc.pid] + [c.pid for c in psutil.Process(srv.proc.pid).children(recursive=True)]
            assert len(pids) >= 2 and len(srv.kernels()) == 1          # the server and its kernel
            raise RuntimeError('a failing test')
    time.sleep(1)
    def running(pid):
        try: return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess: return False
    assert not [p for p in pids if running(p)], 'still running after the failure'
    assert not srv.home.exists()

def _flaky_server(fails:int):
    "A local HTTP server whose first `fails` GETs answer 500 (as jupyter_server's kernel listing can mid-shutdown), then `[]`."
    import http.server, threading
    seen = []
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            code, body = (500, b'{}') if len(seen) <= fails else (200, b'[]')
            self.send_response(code); self.send_header('Content-Type', 'application/json'); self.end_headers(); self.wfile.write(body)
        def log_message(self, *a): pass
    httpd = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, seen

def test_rest_api_retries_a_server_error_then_reports_it(tmp_path):
    "A 500 from the REST API (the server's race, not the notebook's fault) is retried; one that persists is a LabError."
    srv = lb.LabServer(tmp_path)
    httpd, seen = _flaky_server(fails=2)
    try:
        srv.port = httpd.server_address[1]
        assert srv.kernels() == [] and seen == ['/api/kernels'] * 3        # two 500s, then the answer
        httpd2, seen2 = _flaky_server(fails=99)
        try:
            srv.port = httpd2.server_address[1]
            with pytest.raises(lb.LabError, match=r'GET /api/kernels answered 500 .* 3 times'): srv.api('/api/kernels', tries=3)
            assert len(seen2) == 3
        finally: httpd2.shutdown()
    finally: httpd.shutdown(); shutil.rmtree(srv.home, ignore_errors=True)

def _missing() -> str:
    why = []
    if not Path(lb.CHROMIUM).is_file(): why.append(f'no Chromium at {lb.CHROMIUM} (apt-get install -y chromium)')
    try: import playwright.sync_api  # noqa: F401
    except ImportError: why.append("no playwright (pip install -e '.[dev]')")
    return '; '.join(why)

def _broken_callback(cells):
    "After the cell that displays the explorer, make its update (what every control calls) raise."
    i = max(i for i, c in enumerate(cells) if c['cell_type'] == 'code' and '_ex.widget()' in ''.join(c['source']))
    return cells[:i + 1] + [lb.code_cell("def _broken(): raise RuntimeError('deliberately broken widget callback')\n"
                                         "_ex.update = _broken")] + cells[i + 1:]

def _broken_cell(cells):
    "The imports, then a cell that raises, then the rest (which must not run)."
    i = next(i for i, c in enumerate(cells) if c['cell_type'] == 'code' and 'import matplotlib' in ''.join(c['source']))
    return cells[:i + 1] + [lb.code_cell("raise ValueError('deliberately broken cell')")] + cells[i + 1:i + 4]

@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "One JupyterLab (free port, its own pid, stopped even when a test fails) and one Chromium for the module."
    why = _missing()
    if why:
        if os.environ.get('CI'): pytest.fail(f'the browser test must run in CI: {why}')
        pytest.skip(why)
    root = tmp_path_factory.mktemp('lab')
    lb.stage(EXPLORERS, root, drop_slow=not FULL)
    lb.copy_notebook(ROOT / 'nbs' / '02_cluster.ipynb', root / 'nbs' / 'broken_callback.ipynb', True, _broken_callback)
    lb.copy_notebook(ROOT / 'nbs' / '02_cluster.ipynb', root / 'nbs' / 'broken_cell.ipynb', True, _broken_cell)
    OUT.mkdir(parents=True, exist_ok=True)
    with lb.LabServer(root, lb.learner_env()) as server, lb.LabBrowser(server) as browser:
        yield browser
        (OUT / 'server.log').write_text(server.log_text())
    assert server.proc is None   # stopped

def _run(lab, name:str, timeout:float=1800):
    "Open `nbs/name` and run all cells: (page, seconds)."
    page = lab.open(f'nbs/{name}')
    return page, lab.run_all(page, timeout)

def _close(lab, page):
    page.close(); lab.server.shutdown_kernels()

@pytest.mark.parametrize('name', sorted(EXPLORERS))
def test_explorer_in_jupyterlab(lab, name):
    page, secs = _run(lab, name)
    try:
        report = dict(notebook=name, all_cells=FULL, run_all_seconds=round(secs, 1), moves=[])
        probs = lab.problems(page)
        assert not probs, f'{name} in JupyterLab:\n' + '\n'.join(probs)
        for kind, control, to in EXPLORERS[name] + (EXPLORERS_FULL.get(name, []) if FULL else []):
            r = lab.move_control(page, kind, control, to)
            report['moves'].append({k: v for k, v in r.items() if k != 'problems'})
            assert not r['problems'], f"{name}: {kind} {control!r}:\n" + '\n'.join(r['problems'])
            assert r['changed']
        shot = lab.screenshot(page, OUT / f'{Path(name).stem}.png', control)
        if os.environ.get('CCT_NB_SCREENSHOTS'):
            small = lb.small_png(shot, ROOT / os.environ['CCT_NB_SCREENSHOTS'] / shot.name)
            assert small.stat().st_size < 200_000, f'{small} is {small.stat().st_size} bytes'
        (OUT / f'{Path(name).stem}.json').write_text(json.dumps(report, indent=1, ensure_ascii=False))
    except BaseException:
        page.screenshot(path=str(OUT / f'{Path(name).stem}_failed.png'), full_page=False)
        raise
    finally: _close(lab, page)

def test_browser_check_reports_a_broken_callback(lab):
    "A copy of 02_cluster whose explorer callback raises: the cells all run, but moving a control must be reported."
    page, _ = _run(lab, 'broken_callback.ipynb')
    try:
        assert lab.problems(page) == []                 # every cell ran: only the widget is broken
        r = lab.move_control(page, 'slider', 'patch', 0.8, timeout=60)
        assert not r['changed']
        assert any('RuntimeError: deliberately broken widget callback' in p for p in r['problems']), r['problems']
        assert any('the figure did not change' in p for p in r['problems']), r['problems']
    finally: _close(lab, page)

def test_browser_check_reports_a_cell_that_raised(lab):
    page, _ = _run(lab, 'broken_cell.ipynb', timeout=300)
    try:
        probs = lab.problems(page)
        assert any('raised' in p and 'ValueError: deliberately broken cell' in p for p in probs), probs
        assert any('did not run' in p for p in probs), probs      # Run All stops at the error
    finally: _close(lab, page)
