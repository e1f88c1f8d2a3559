"""The lessons as a learner meets them on a fresh clone: JupyterLab in headless Chromium, widgets included.

Starts JupyterLab on 127.0.0.1 over a temporary copy of the lessons, with an empty data folder (as on a fresh clone: no
scenes, no cached course network, so the first lesson that needs the network trains it), opens every lesson in reading
order in a fresh kernel, runs Run → Run All Cells, and fails on a cell that raised, on a lesson over its time budget
(`BUDGET_S`, the course's promise of under three minutes per lesson on 2 cores, stretched by `host_speed_factor` on a host slower than the speed record), or on a widget whose figure does not
change when a control is moved (a callback's traceback lands in JupyterLab's Log Console, which is read too). Under
`nbdev_test` an Output widget captures nothing, so this is the only test of the widget UI itself.

Each lesson is then saved from JupyterLab with its outputs, and `test_site_renders_every_lesson` renders those copies
to the static site of `scripts/build_site.py` and checks every page in Chromium (it loads, every image loads, no error
output). Screenshots go to `test_out/browser/`; `CCT_NB_SCREENSHOTS=docs/screenshots` (`make screenshots`) also
writes the small PNGs the README shows. Needs Debian's `chromium` and pip's `playwright`; without them the tests skip
with the reason, except in CI (`CI` set), where they fail.
"""
import json, os, shutil, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'scripts'))
import lab_browser as lb

pytestmark = pytest.mark.browser
OUT = ROOT / 'test_out' / 'browser'
EXECUTED = OUT / 'executed'                 # the lessons saved from JupyterLab with their outputs (the site is built from them)
BUDGET_S = 180                               # Run All of one lesson, first training of the course network included
SLOWEST = 2.0                                # the budget stretches with a host slower than the record's, up to this factor

def host_speed_factor() -> float:
    "How much slower this host runs the reference step (one ResNet-18 forward + backward, batch 8, 96×128, 2 threads) than `benchmarks/results/speed/encoder_grid.json` recorded: at least 1, at most `SLOWEST`."
    import statistics, time, torch
    from benchmarks.encoder_grid import backbone_at, train_step
    rec = json.loads((ROOT / 'benchmarks' / 'results' / 'speed' / 'encoder_grid.json').read_text())
    ref = rec['rows'][0]
    assert (ref['backbone'], ref['output_stride'], ref['size'], rec['bs'], rec['machine']['threads']) == ('resnet18', 8, [96, 128], 8, 2)
    n, old = torch.get_num_threads(), torch.random.get_rng_state()
    torch.set_num_threads(2); torch.manual_seed(0)
    net, x = backbone_at('resnet18', 8).train(), torch.randn(8, 3, 96, 128)
    train_step(net, x)                                                                     # warm-up
    secs = []
    for _ in range(5):
        t = time.perf_counter(); train_step(net, x); secs.append(time.perf_counter() - t)
    torch.set_num_threads(n); torch.random.set_rng_state(old)
    return min(SLOWEST, max(1.0, statistics.median(secs) / ref['seconds']))
LESSONS = lb.lesson_names()

# What each explorer offers a learner to move, in order: (kind, the control's description, target or None for "another")
EXPLORERS = {
    'lessons/02_cluster.ipynb': [('dropdown', 'image', None), ('slider', 'patch', 0.8), ('dropdown', 'network', 'untrained'),
                                 ('dropdown', 'network', 'trained')],
    'lessons/06_perturbations.ipynb': [('dropdown', 'model', 'untrained resnet18'), ('slider', 'noise r', 0.8),
                                       ('dropdown', 'perturbation', 'G-Cutout (cutout)'), ('dropdown', 'model', 'trained (scenes)')],
}   # each ends on the trained network: the README shows the explorers as they are left
# Outputs the README shows: {lesson: (file stem, text of the code cell whose output is shot)}; the explorers are shot after their moves
README_SHOTS = {'lessons/07_train.ipynb': [('cct', 'draw_fig3();'), ('07_train_run', 'predict_masks(l.model')],
                'lessons/08_results.ipynb': [('results', 'plot_paired(paired)')]}

def test_every_widget_notebook_is_checked():
    "A new lesson with a widget must get an entry in EXPLORERS (what to move), or this browser test would miss it."
    found = {n for n in LESSONS if lb.has_widgets(ROOT / 'nbs' / n)}
    assert found == set(EXPLORERS), f'widget notebooks {sorted(found)} but EXPLORERS lists {sorted(EXPLORERS)}'

def test_lessons_run_as_a_learner_runs_them(monkeypatch):
    "Under `make test` the notebooks run with IN_TEST and one thread each; the JupyterLab kernels of this test get neither."
    monkeypatch.setenv('IN_TEST', '1'); monkeypatch.setenv('OMP_NUM_THREADS', '1')
    env = lb.kernel_env()
    assert 'IN_TEST' not in env and 'OMP_NUM_THREADS' not in env and env['PATH'] == os.environ['PATH']

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
    "At the end of the notebook (after every cell that moves the explorer itself), make its update (what every control calls) raise."
    assert any(c['cell_type'] == 'code' and '_ex.widget()' in ''.join(c['source']) for c in cells), 'the explorer is not shown as _ex.widget()'
    return cells + [lb.code_cell("def _broken(*a, **k): raise RuntimeError('deliberately broken widget callback')\n_ex.update = _broken")]

def _broken_cell(cells):
    "The imports, then a cell that raises, then the rest (which must not run)."
    i = next(i for i, c in enumerate(cells) if c['cell_type'] == 'code' and 'import' in ''.join(c['source']))
    return cells[:i + 1] + [lb.code_cell("raise ValueError('deliberately broken cell')")] + cells[i + 1:i + 4]

@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "One JupyterLab (free port, its own pid, stopped even when a test fails) over the lessons and a fresh data folder, one Chromium."
    why = _missing()
    if why:
        if os.environ.get('CI'): pytest.fail(f'the browser test must run in CI: {why}')
        pytest.skip(why)
    speed = host_speed_factor()                  # timed before the server starts, on an idle host
    print(f'host speed factor {speed:.2f}: lesson budget {BUDGET_S * speed:.0f} s')
    root, data = tmp_path_factory.mktemp('lab'), tmp_path_factory.mktemp('data')
    lb.stage(LESSONS, root)
    lb.copy_notebook(ROOT / 'nbs' / 'lessons' / '02_cluster.ipynb', root / 'nbs' / 'lessons' / 'broken_callback.ipynb', True, _broken_callback)
    lb.copy_notebook(ROOT / 'nbs' / 'lessons' / '02_cluster.ipynb', root / 'nbs' / 'lessons' / 'broken_cell.ipynb', True, _broken_cell)
    shutil.rmtree(EXECUTED, ignore_errors=True); EXECUTED.mkdir(parents=True)
    with lb.LabServer(root, lb.learner_env(data)) as server, lb.LabBrowser(server) as browser:
        browser.root, browser.speed = root, speed
        yield browser
        (OUT / 'server.log').write_text(server.log_text())
    assert server.proc is None   # stopped

def _run(lab, name:str, timeout:float=1800):
    "Open `nbs/name` and run all cells: (page, seconds)."
    page = lab.open(f'nbs/{name}')
    return page, lab.run_all(page, timeout)

def _close(lab, page):
    page.close(); lab.server.shutdown_kernels()

def _shoot(path:Path):
    "Keep a small copy of a screenshot for the README when `CCT_NB_SCREENSHOTS` names the folder."
    if os.environ.get('CCT_NB_SCREENSHOTS'):
        small = lb.small_png(path, ROOT / os.environ['CCT_NB_SCREENSHOTS'] / path.name)
        assert small.stat().st_size < 250_000, f'{small} is {small.stat().st_size} bytes'

@pytest.mark.parametrize('name', LESSONS)
def test_lesson_in_jupyterlab(lab, name):
    "Run All on a fresh kernel: no error, within the budget; explorers move; the lesson is saved with its outputs for the site."
    page, secs = _run(lab, name)
    stem = Path(name).stem
    budget = BUDGET_S * lab.speed                # the promise holds on a host as fast as the record's; a slower host stretches it
    try:
        report = dict(notebook=name, run_all_seconds=round(secs, 1), budget_seconds=round(budget, 1), host_speed_factor=round(lab.speed, 2), moves=[])
        probs = lab.problems(page)
        assert not probs, f'{name} in JupyterLab:\n' + '\n'.join(probs)
        for kind, control, to in EXPLORERS.get(name, []):
            r = lab.move_control(page, kind, control, to)
            report['moves'].append({k: v for k, v in r.items() if k != 'problems'})
            assert not r['problems'], f"{name}: {kind} {control!r}:\n" + '\n'.join(r['problems'])
            assert r['changed']
        if name in EXPLORERS: _shoot(lab.screenshot(page, OUT / f'{stem}.png', EXPLORERS[name][-1][1]))
        for shot, contains in README_SHOTS.get(name, []):
            _shoot(lab.cell_output_screenshot(page, contains, OUT / f'{shot}.png'))
        saved = lab.save(page, lab.root / 'nbs' / name)
        shutil.copy(saved, EXECUTED / Path(name).name)
        (OUT / f'{stem}.json').write_text(json.dumps(report, indent=1, ensure_ascii=False))
        assert secs <= budget, f'{name}: Run All took {secs:.0f} s, over the budget of {budget:.0f} s ({BUDGET_S} s × host speed factor {lab.speed:.2f})'
    except BaseException:
        page.screenshot(path=str(OUT / f'{stem}_failed.png'), full_page=False)
        raise
    finally: _close(lab, page)

def test_site_renders_every_lesson(lab):
    "The static site built from the lessons JupyterLab saved: every page loads, every image loads, no error output."
    import build_site
    missing = [n for n in LESSONS if not (EXECUTED / Path(n).name).exists()]
    assert not missing, f'lessons not saved by the JupyterLab runs above: {missing}'
    site = OUT / 'site'
    report = build_site.build_site(site, executed=EXECUTED)
    assert [p for p in report['pages'] if p['errors']] == [], report
    page, problems = lab.browser.new_page(), []
    try:
        for p in report['pages'] + [{'page': 'index.html'}]:
            page.goto((site / p['page']).as_uri())
            page.wait_for_load_state('load')
            imgs = page.evaluate("() => [...document.images].map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0}))")
            problems += [f"{p['page']}: an image did not load: {i['src']}" for i in imgs if not i['ok']]
            if page.locator('[data-mime-type="application/vnd.jupyter.stderr"]:has-text("Traceback")').count(): problems.append(f"{p['page']}: a traceback")
            if p['page'] not in ('index.html', 'index_notebook.html') and not imgs: problems.append(f"{p['page']} shows no figure")
    finally: page.close()
    (OUT / 'site_check.json').write_text(json.dumps(problems, indent=1))
    assert not problems, '\n'.join(problems)

def test_browser_check_reports_a_broken_callback(lab):
    "A copy of 02_cluster whose explorer callback raises: the cells all run, but moving a control must be reported."
    page, _ = _run(lab, 'lessons/broken_callback.ipynb')
    try:
        assert lab.problems(page) == []                 # every cell ran: only the widget is broken
        r = lab.move_control(page, 'slider', 'patch', 0.8, timeout=60)
        assert not r['changed']
        assert any('RuntimeError: deliberately broken widget callback' in p for p in r['problems']), r['problems']
        assert any('the figure did not change' in p for p in r['problems']), r['problems']
    finally: _close(lab, page)

def test_browser_check_reports_a_cell_that_raised(lab):
    page, _ = _run(lab, 'lessons/broken_cell.ipynb', timeout=300)
    try:
        probs = lab.problems(page)
        assert any('raised' in p and 'ValueError: deliberately broken cell' in p for p in probs), probs
        assert any('did not run' in p for p in probs), probs      # Run All stops at the error
    finally: _close(lab, page)
