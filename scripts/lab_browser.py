"""Run the notebooks as a learner meets them: JupyterLab on loopback, opened in headless Chromium.

`LabServer` starts a tokenless JupyterLab on 127.0.0.1 (a free port) over a temporary folder holding copies of
the notebooks, with its own settings, runtime and IPython folders, and stops it (and its kernels) by process id.
`LabBrowser` opens a notebook in Chromium (Debian's `/usr/bin/chromium`, driven by pip's `playwright`), runs all
cells through the Run menu, waits for the kernel, and reports every cell that raised; `move_control` moves a
widget's slider or picks a dropdown option and tells whether the figure the widget shows changed. A widget
callback that raises shows its traceback in no cell: ipywidgets sends it from the comm handler and JupyterLab
puts it in the Log Console (the status bar's log item lights up), so `problems` reads the Log Console too.

Used by `tests/test_browser.py`; run as a script it times every lesson as a learner on a fresh clone runs it (Run All
Cells, in order, in a fresh data folder so that the first lesson that needs the course network trains it; the long
`#| slow` cells say what they would do and skip, see `run_long` in `reference/data`), or with `--long-runs` everything:
    .venv/bin/python scripts/lab_browser.py time [--only REGEX] [--long-runs] [--out benchmarks/results/course/notebook_times.json]
"""
from __future__ import annotations
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get('CCT_NB_CHROMIUM', '/usr/bin/chromium')
SLOW_RE = re.compile(r'^\s*#\s*\|\s*slow\s*$', re.M)

class LabError(RuntimeError): "The notebook or a widget did not behave: the message says which cell or control."

def free_port() -> int:
    "A TCP port that is free on 127.0.0.1 right now."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def has_widgets(nb:Path) -> bool:
    "Does a code cell of the notebook use ipywidgets?"
    cells = json.loads(Path(nb).read_text())['cells']
    return any(c['cell_type'] == 'code' and re.search(r'\bipywidgets\b|\binteract\b', ''.join(c['source'])) for c in cells)

def copy_notebook(src:Path, dst:Path, drop_slow:bool=False, edit=None) -> Path:
    "Copy a notebook, optionally without its `#| slow` cells (as `nbdev_test` runs it) and edited by `edit(cells)`."
    nb = json.loads(Path(src).read_text())
    if drop_slow: nb['cells'] = [c for c in nb['cells'] if not (c['cell_type'] == 'code' and SLOW_RE.search(''.join(c['source'])))]
    if edit is not None: nb['cells'] = edit(nb['cells'])
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False)); return dst

def code_cell(src:str) -> dict:
    "A new code cell with source `src`."
    import uuid
    return {'cell_type': 'code', 'execution_count': None, 'id': uuid.uuid4().hex[:8], 'metadata': {}, 'outputs': [],
            'source': src.splitlines(True)}

# JupyterLab settings for a scripted run: every cell in the DOM, no autosave, no news or update checks
LAB_SETTINGS = {
    '@jupyterlab/notebook-extension/tracker.jupyterlab-settings': {'windowingMode': 'none'},
    '@jupyterlab/docmanager-extension/plugin.jupyterlab-settings': {'autosave': False},
    '@jupyterlab/apputils-extension/notification.jupyterlab-settings': {'fetchNews': 'false', 'checkForUpdates': False},
    '@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings': {'enabled': False},
}

def kernel_env() -> dict:
    "The environment of the server and its kernels: this process's, as a learner's kernel would have it (no test mode, every core: a test runner's IN_TEST or thread limit must not leak into the lessons), no Jupyter settings of the user's."
    return {k: v for k, v in os.environ.items() if not k.startswith(('JUPYTER', 'JPY_')) and k not in ('IN_TEST', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')}

class LabServer:
    "A tokenless JupyterLab on 127.0.0.1 over `root`, started and stopped by process id (a context manager)."
    def __init__(self, root:Path, # folder served (notebooks are opened relative to it)
                 env:dict=None, # extra environment for the server and its kernels (e.g. IN_TEST)
                 start_timeout:float=120):
        self.root, self.extra_env, self.start_timeout = Path(root), dict(env or {}), start_timeout
        self.proc, self.port, self.log = None, None, None
        self.home = Path(tempfile.mkdtemp(prefix='cct_lab_home_'))   # settings, runtime, IPython: nothing of the user's
        self.log_path = self.home / 'server.log'

    @property
    def url(self): return f'http://127.0.0.1:{self.port}'

    def start(self):
        settings = self.home / 'settings'
        for rel, v in LAB_SETTINGS.items():
            (settings / rel).parent.mkdir(parents=True, exist_ok=True); (settings / rel).write_text(json.dumps(v))
        env = kernel_env()
        env.update(JUPYTER_CONFIG_DIR=str(self.home / 'config'), JUPYTER_DATA_DIR=str(self.home / 'data'),
                   JUPYTER_RUNTIME_DIR=str(self.home / 'runtime'), IPYTHONDIR=str(self.home / 'ipython'),
                   PYDEVD_DISABLE_FILE_VALIDATION='1', PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
        env.pop('MPLBACKEND', None)
        env.update(self.extra_env)
        self.port = free_port()
        cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--port={self.port}',
               '--ServerApp.port_retries=0', "--IdentityProvider.token=", "--ServerApp.password=",
               f'--ServerApp.root_dir={self.root}', f'--LabApp.user_settings_dir={settings}',
               f'--LabApp.workspaces_dir={self.home / "workspaces"}', '--ServerApp.open_browser=False', '--ServerApp.allow_root=True',
               '--ServerApp.disable_check_xsrf=True']   # lets the test DELETE kernels over the REST API
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=self.root, start_new_session=True)
        t0 = time.time()
        while True:
            if self.proc.poll() is not None: raise LabError(f'JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}')
            try:
                with urllib.request.urlopen(f'{self.url}/api/status', timeout=5) as r:
                    if r.status == 200: break
            except OSError: pass
            if time.time() - t0 > self.start_timeout: raise LabError(f'JupyterLab did not answer on {self.url}:\n{self.log_tail()}')
            time.sleep(0.5)
        return self

    def api(self, path:str, tries:int=6):
        """GET a JSON resource of the server's REST API. A 5xx answer is retried (`tries` times, waiting longer each time):
        jupyter_server can fail a listing of kernels while one of them is starting or shutting down (a race it logs as a
        500), which is the server's moment, not the notebook's fault. Still failing: a `LabError` with the server's log."""
        for i in range(tries):
            try:
                with urllib.request.urlopen(f'{self.url}{path}', timeout=10) as r: return json.loads(r.read())
            except urllib.error.HTTPError as e:
                if e.code < 500: raise LabError(f'GET {path} answered {e.code} {e.reason}') from e
                if i == tries - 1:
                    raise LabError(f'GET {path} answered {e.code} {e.reason} {tries} times; the server log ends:\n{self.log_tail()}') from e
                time.sleep(0.5 * (i + 1))

    def kernels(self) -> list: return self.api('/api/kernels')

    def cpu_seconds(self) -> float:
        "CPU time (user + system) of the server and every process under it, reaped children included, from /proc."
        stats = {}
        for d in Path('/proc').iterdir():
            if not d.name.isdigit(): continue
            try: f = (d / 'stat').read_text().rsplit(')', 1)[1].split()
            except OSError: continue
            stats[int(d.name)] = (int(f[1]), sum(int(v) for v in f[11:15]))    # ppid; utime + stime + cutime + cstime
        tree, total = {self.proc.pid}, 0
        for _ in range(8):                                                   # descendants, a few generations deep
            tree |= {pid for pid, (ppid, _) in stats.items() if ppid in tree}
        return sum(stats[p][1] for p in tree if p in stats) / os.sysconf('SC_CLK_TCK')

    def shutdown_kernels(self, timeout:float=60):
        "Shut down every kernel of the server and wait until none is listed (the next notebook opened gets a fresh one)."
        for k in self.kernels():
            req = urllib.request.Request(f"{self.url}/api/kernels/{k['id']}", method='DELETE')
            try:
                with urllib.request.urlopen(req, timeout=timeout): pass
            except urllib.error.HTTPError as e:
                if e.code != 404: raise LabError(f"shutting down kernel {k['id']} answered {e.code} {e.reason}") from e  # 404: gone already
        t0 = time.time()
        while self.kernels():
            if time.time() - t0 > timeout: raise LabError(f'kernels still listed {timeout:.0f}s after their shutdown: {self.kernels()}')
            time.sleep(0.25)

    def log_text(self, start:int=0) -> str:
        "The server's log (its kernels' stderr included) from byte `start`."
        if self.log is not None and not self.log.closed: self.log.flush()
        if not self.log_path.exists(): return ''
        with open(self.log_path, 'rb') as f: f.seek(start); return f.read().decode('utf-8', 'replace')

    def log_tail(self, n:int=4000) -> str: return self.log_text()[-n:]

    def stop(self):
        "SIGTERM the server (it shuts its kernels down), SIGKILL it after 20 s, then any child process still alive, by pid."
        if self.proc is None: return
        try:
            import psutil
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception: children = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try: self.proc.wait(20)
            except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait(10)
        for c in children:
            try: c.wait(5)
            except Exception:
                try: c.kill()
                except Exception: pass
        self.proc = None
        if self.log is not None and not self.log.closed: self.log.close()

    def __enter__(self):
        try: return self.start()
        except BaseException: self.__exit__(); raise     # a server that never answered is stopped too

    def __exit__(self, *exc): self.stop(); shutil.rmtree(self.home, ignore_errors=True)

# Reading the notebook's DOM (JupyterLab 4, ipywidgets 8)
NOTEBOOK = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook'   # the notebook tab in front
_CELLS_JS = """() => [...document.querySelectorAll('""" + NOTEBOOK + """ .jp-Cell')].map((c, i) => ({
  i, code: c.classList.contains('jp-CodeCell'),
  src: (c.querySelector('.jp-InputArea .cm-content') || {innerText: ''}).innerText.trim(),
  prompt: (c.querySelector('.jp-InputArea .jp-InputPrompt') || {innerText: ''}).innerText.trim(),
  errors: [...c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
          .map(o => o.innerText).filter(t => t.includes('Traceback') || /^\\w*(Error|Exception)\\b/m.test(t)) }))"""

class LabBrowser:
    "Headless Chromium on a `LabServer`: open a notebook, run all cells, move widget controls (a context manager)."
    def __init__(self, server:LabServer, viewport=(1500, 1000), executable:str=CHROMIUM):
        self.server, self.viewport, self.executable = server, viewport, executable

    def __enter__(self):
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=self.executable, headless=True,
                                               args=['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'])
        return self

    def __exit__(self, *exc):
        try: self.browser.close()
        finally: self._pw.stop()

    def open(self, rel:str, timeout:float=120):
        "Open notebook `rel` (relative to the server root) in a new page and wait for its kernel to be idle."
        page = self.browser.new_page(viewport=dict(width=self.viewport[0], height=self.viewport[1]))
        page.set_default_timeout(timeout * 1000)
        page.goto(f'{self.server.url}/lab/tree/{rel}?reset')   # ?reset: no tabs restored from an earlier page
        page.wait_for_selector(f'{NOTEBOOK} .jp-Cell')
        self.wait_idle(timeout, quiet=1.0)
        return page

    def wait_idle(self, timeout:float, quiet:float=1.0):
        "Wait until every kernel of the server is idle and has been for `quiet` seconds."
        t0, since = time.time(), None
        while time.time() - t0 < timeout:
            ks = self.server.kernels()
            if ks and all(k['execution_state'] == 'idle' for k in ks):
                since = since or time.time()
                if time.time() - since >= quiet: return
            else: since = None
            time.sleep(0.25)
        raise LabError(f'kernel not idle after {timeout:.0f}s: {self.server.kernels()}')

    def cells(self, page) -> list: return page.evaluate(_CELLS_JS)

    def run_all(self, page, timeout:float=1800) -> float:
        "Run → Run All Cells, wait until no cell is queued or running; return the seconds it took."
        n_code = sum(c['code'] and bool(c['src']) for c in self.cells(page))
        page.locator('#jp-MainMenu .lm-MenuBar-itemLabel', has_text=re.compile(r'^Run$')).click()
        t0 = time.time()
        page.locator('#jp-mainmenu-run li.lm-Menu-item:has(.lm-Menu-itemLabel:text-is("Run All Cells"))').click()
        done_since = None
        while True:
            cells = self.cells(page)
            busy = any('*' in c['prompt'] for c in cells if c['code'])
            ran = sum(bool(re.search(r'\d', c['prompt'])) for c in cells if c['code'] and c['src'])
            idle = all(k['execution_state'] == 'idle' for k in self.server.kernels())
            if not busy and idle and (ran == n_code or any(c['errors'] for c in cells) or time.time() - t0 > 10):
                done_since = done_since or time.time()
                if time.time() - done_since > 1.5: break
            else: done_since = None
            if time.time() - t0 > timeout: raise LabError(f'Run All did not finish in {timeout:.0f}s ({ran}/{n_code} cells ran)')
            time.sleep(0.5)
        return done_since - t0

    def log_console(self, page) -> list:
        "Tracebacks in JupyterLab's Log Console (kernel output that belongs to no cell, e.g. a widget callback's error)."
        item = page.locator('.jp-LogConsoleStatusItem')
        if not item.count() or 'lm-mod-hidden' in (item.get_attribute('class') or ''): return []   # nothing logged
        panel = page.locator('.jp-LogConsole')
        if not panel.count() or not panel.first.is_visible(): item.click(); panel.first.wait_for()
        time.sleep(0.5)
        texts = panel.first.locator('.jp-OutputArea-output').all_inner_texts()
        return [t for t in texts if 'Traceback' in t or re.search(r'^\w*(Error|Exception)\b', t, re.M)]

    def problems(self, page) -> list:
        "Every sign of failure: cells whose output is a traceback, code cells left unexecuted, tracebacks in the Log Console."
        out = []
        for c in self.cells(page):
            if not c['code']: continue
            first = c['src'].splitlines()[0][:70] if c['src'] else ''
            for e in c['errors']: out.append(f"cell {c['i']} ({first!r}) raised:\n{e[-1500:]}")
            if c['src'] and not re.search(r'\d', c['prompt']): out.append(f"cell {c['i']} ({first!r}) did not run (prompt {c['prompt']!r})")
        out += [f'the Log Console shows an error (a widget callback?):\n{t[-1500:]}' for t in dict.fromkeys(self.log_console(page))]
        return out

    # widgets
    def widget_cell(self, page, control:str):
        "The last cell whose output shows a widget control described as `control`."
        cell = page.locator(f'{NOTEBOOK} .jp-Cell', has=page.locator(f'.widget-inline-hbox:has(> .widget-label:text-is("{control}"))')).last
        if not cell.count(): raise LabError(f'no widget control {control!r} in the notebook')
        return cell

    def figure(self, cell) -> str:
        "What the widget's Output area shows: the sources of its images (PNG data URLs), joined."
        return '|'.join(cell.locator('.widget-output img').evaluate_all('els => els.map(e => e.src)'))

    def move_control(self, page, kind:str, # 'slider' or 'dropdown'
                     control:str, # the control's description, as shown
                     to=None, # slider: fraction of the track (default 0.8); dropdown: option label (default the next one)
                     timeout:float=120) -> dict:
        "Move one control as a person would; wait for the figure to change. Returns what was done and the problems seen."
        cell = self.widget_cell(page, control)
        box = cell.locator(f'.widget-inline-hbox:has(> .widget-label:text-is("{control}"))').last
        box.scroll_into_view_if_needed()
        before = self.figure(cell)
        if not before: raise LabError(f'the widget with {control!r} shows no figure')
        if kind == 'slider':
            track, handle = box.locator('.noUi-target').first, box.locator('.noUi-handle').first
            old = box.locator('.widget-readout').first.inner_text().strip()
            tb, hb = track.bounding_box(), handle.bounding_box()
            x = tb['x'] + tb['width'] * (0.8 if to is None else to)
            page.mouse.move(hb['x'] + hb['width'] / 2, hb['y'] + hb['height'] / 2); page.mouse.down()
            page.mouse.move(x, hb['y'] + hb['height'] / 2, steps=4); page.mouse.up()
            new = box.locator('.widget-readout').first.inner_text().strip()
        elif kind == 'dropdown':
            sel = box.locator('select').first
            shown = sel.evaluate('s => [...s.options].map(o => o.label)')   # ipywidgets shows spaces as no-break spaces
            labels = [l.replace('\xa0', ' ') for l in shown]
            old = labels[sel.evaluate('s => s.selectedIndex')]
            new = to if to is not None else labels[(labels.index(old) + 1) % len(labels)]
            if new not in labels: raise LabError(f'dropdown {control!r} has no option {new!r}: {labels}')
            sel.select_option(label=shown[labels.index(new)])
        else: raise ValueError(f'kind must be slider or dropdown, not {kind!r}')
        if new == old: raise LabError(f'{kind} {control!r} did not move (still {old!r})')
        t0, changed = time.time(), False
        while time.time() - t0 < timeout:
            if self.figure(cell) not in (before, ''): changed = True
            if changed or time.time() - t0 > 3:     # give the kernel a moment, then wait until it has gone quiet
                try: self.wait_idle(timeout - (time.time() - t0), quiet=1.5)
                except LabError: break
                changed = self.figure(cell) not in (before, '')
                break
            time.sleep(0.2)
        problems = self.problems(page)
        if not changed: problems.append(f'the figure did not change after setting {kind} {control!r} from {old!r} to {new!r}')
        return dict(kind=kind, control=control, old=old, new=new, changed=changed, secs=time.time() - t0, problems=problems)

    def save(self, page, path:Path, timeout:float=60) -> Path:
        "Save the notebook in front (File → Save, Ctrl+S) and wait until `path`, its file on disk, is written with outputs."
        path = Path(path); before = path.stat().st_mtime if path.exists() else 0
        page.locator(NOTEBOOK).first.click(position={'x': 5, 'y': 5})
        page.keyboard.press('Escape'); page.keyboard.press('Control+s')
        t0 = time.time()
        while time.time() - t0 < timeout:
            if path.exists() and path.stat().st_mtime > before:
                try: json.loads(path.read_text()); return path
                except ValueError: pass                      # still being written
            time.sleep(0.25)
        raise LabError(f'{path} was not saved within {timeout:.0f}s')

    def cell_output_screenshot(self, page, contains:str, # text in the cell's source that identifies it
                               path:Path) -> Path:
        "Screenshot of the output area of the first code cell whose source contains `contains`."
        cells = page.locator(f'{NOTEBOOK} .jp-CodeCell', has=page.locator('.jp-InputArea .cm-content', has_text=contains))
        if not cells.count(): raise LabError(f'no code cell contains {contains!r}')
        out = cells.first.locator('.jp-Cell-outputArea')
        out.scroll_into_view_if_needed(); path.parent.mkdir(parents=True, exist_ok=True)
        out.screenshot(path=str(path)); return path

    def screenshot(self, page, path:Path, control:str=None):
        "Screenshot of the widget's cell output (or the whole page); returns the path."
        path.parent.mkdir(parents=True, exist_ok=True)
        if control: self.widget_cell(page, control).locator('.jp-Cell-outputArea').last.screenshot(path=str(path))
        else: page.screenshot(path=str(path), full_page=False)
        return path

def small_png(src:Path, dst:Path, max_width:int=1100, colors:int=128) -> Path:
    "A small copy of a screenshot for the docs: at most `max_width` wide, palette PNG."
    from PIL import Image
    im = Image.open(src).convert('RGB')
    if im.width > max_width: im = im.resize((max_width, round(im.height * max_width / im.width)), Image.LANCZOS)
    dst.parent.mkdir(parents=True, exist_ok=True)
    im.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(dst, optimize=True)
    return dst

LINKED = ('benchmarks', 'experiments', 'docs')   # project folders the notebooks read (summary.json, images), linked into a stage

def stage(names, # notebooks relative to nbs/, e.g. 'lessons/02_cluster.ipynb'
          dest:Path, drop_slow:bool=False, edit=None) -> Path:
    "Lay out `dest/nbs/<copies>` as in the checkout, with the folders of `LINKED` linked to the project's."
    (dest / 'nbs').mkdir(parents=True, exist_ok=True)
    for d in LINKED:
        if (ROOT / d).exists() and not (dest / d).exists(): (dest / d).symlink_to(ROOT / d)
    for n in names: copy_notebook(ROOT / 'nbs' / n, dest / 'nbs' / n, drop_slow, edit)
    return dest

def lesson_names(only:str='') -> list: # a regex on file names
    "The lessons, relative to nbs/, in reading order."
    return [f'lessons/{p.name}' for p in sorted((ROOT / 'nbs' / 'lessons').glob('[0-9]*.ipynb')) if re.search(only, p.name)]

def learner_env(data:Path=None) -> dict: # a fresh data folder (a fresh clone: no scenes, no cached network); None: the checkout's
    "Kernel environment of a learner's checkout: the data folders the notebooks would find beside the project."
    env = {k: os.environ[k] for k in ('CCT_NB_DATA', 'CCT_NB_CAMVID', 'CCT_NB_LONG_RUNS') if k in os.environ}
    if data is not None: env['CCT_NB_DATA'] = str(data)
    camvid = ROOT.parent / 'shared' / 'data' / 'camvid'
    if camvid.is_dir():   # the copies live outside the project, so name the folder they would find from nbs/
        env.setdefault('CCT_NB_CAMVID', str(camvid))
    return env

def _cached_files(root:Path) -> set:
    "Weights the notebooks cache under the data folder `root` (a first run trains them: its time includes that)."
    return {str(p.relative_to(root)) for p in Path(root).glob('**/*.pth')} if Path(root).is_dir() else set()

def time_notebooks(only:str='', out:Path=None, timeout:float=3 * 3600, long_runs:bool=False) -> dict:
    "Run every lesson (all cells, no IN_TEST) in a fresh kernel in JupyterLab, in order, as on a fresh clone; record seconds, CPU seconds and problems."
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))   # a script of scripts/: the repository's `benchmarks` package
    from benchmarks.records import machine, git_commit
    names = lesson_names(only)
    tmp = Path(tempfile.mkdtemp(prefix='cct_lab_time_'))
    data = tmp / 'data'; data.mkdir()                    # a fresh clone's data folder: the first lesson that needs the network trains it
    rows, env = [], learner_env(data)
    if long_runs: env['CCT_NB_LONG_RUNS'] = '1'
    else: env.pop('CCT_NB_LONG_RUNS', None)
    res = dict(command=' '.join(sys.argv), what='seconds from Run All Cells to an idle kernel in JupyterLab, all cells, '
               + ('the long #| slow cells run (CCT_NB_LONG_RUNS=1)' if long_runs else "the long #| slow cells skipped as a learner's run skips them (run_long)")
               + ', no IN_TEST, fresh kernel per notebook, in numbered order; cpu_seconds: CPU time of the server and its kernels '
               'during the run (children included); cached_during_run: weights a notebook trained and cached under the data folder '
               '(a later run loads them); fresh_data: the data folder starts empty, as on a fresh clone', fresh_data=True, long_runs=long_runs, machine=machine(),
               omp_num_threads=os.environ.get('OMP_NUM_THREADS'), env=env, date=time.strftime('%Y-%m-%d %H:%M'), commit=git_commit(), notebooks=rows)
    def save():   # after every notebook, so an interrupted run keeps what it measured
        if not out: return
        o, r = Path(out), dict(res)
        with open('/proc/loadavg') as f: r['load_average'] = f.read().split()[:3]
        if o.exists():   # keep the other notebooks' rows when only some were re-timed
            old = {x['notebook']: x for x in json.loads(o.read_text()).get('notebooks', []) if (ROOT / 'nbs' / 'lessons' / x['notebook']).exists()}
            old.update({x['notebook']: x for x in rows}); r['notebooks'] = [old[k] for k in sorted(old)]
        o.write_text(json.dumps(r, indent=1, ensure_ascii=False) + '\n')
    try:
        stage(names, tmp)
        with LabServer(tmp, env) as srv, LabBrowser(srv) as lab:
            for n in names:
                t0, before, c0 = time.time(), _cached_files(data), srv.cpu_seconds()
                page = lab.open(f'nbs/{n}')
                secs = lab.run_all(page, timeout)
                probs = lab.problems(page)
                rows.append(dict(notebook=Path(n).name, seconds=round(secs, 1), cpu_seconds=round(srv.cpu_seconds() - c0, 1),
                                 wall_with_open=round(time.time() - t0, 1), ok=not probs,
                                 problems=probs, cached_during_run=sorted(_cached_files(data) - before)))
                print(f"{'OK  ' if not probs else 'FAIL'} {n}: {secs:.0f}s", *probs, sep='\n  ' if probs else ' ', flush=True)
                page.close(); srv.shutdown_kernels()   # a fresh kernel per notebook
                save()
    finally: shutil.rmtree(tmp, ignore_errors=True)
    return res

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['time'])
    ap.add_argument('--only', default='', help='regex on notebook file names')
    ap.add_argument('--long-runs', action='store_true', help='run the long #| slow cells too (CCT_NB_LONG_RUNS=1)')
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results' / 'course/notebook_times.json'))
    a = ap.parse_args()
    r = time_notebooks(a.only, a.out, long_runs=a.long_runs)
    sys.exit(0 if all(x['ok'] for x in r['notebooks']) else 1)
