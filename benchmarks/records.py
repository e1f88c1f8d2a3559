"""Shared pieces of the benchmark scripts: machine facts, the commit, statistics, records files and the arguments several scripts share."""
import argparse, os, platform, statistics, time
from pathlib import Path
import torch

RESULTS = Path(__file__).resolve().parent / 'results'   # one folder per experiment: results/<experiment>/<record>
CAMVID_ENV = 'CCT_NB_CAMVID'   # the environment variable naming a CamVid folder (SegNet layout); nothing is ever downloaded

def parser(doc:str): # the script's docstring
    "An `ArgumentParser` showing the script's docstring as its help."
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)

def add_camvid(ap, flag:str='--data-dir'): # the parser; the flag's name
    "A CamVid folder flag, by default `$CCT_NB_CAMVID`; `camvid_dir` checks it."
    ap.add_argument(flag, default=os.environ.get(CAMVID_ENV), help=f'CamVid in the SegNet layout (default: ${CAMVID_ENV})')

def camvid_dir(path, flag:str='--data-dir') -> Path: # the flag's value
    "The CamVid folder, or an error naming the flag and the environment variable."
    if path is None: raise SystemExit(f"error: {flag}: give the CamVid folder (SegNet layout), or set {CAMVID_ENV}")
    if not Path(path).is_dir(): raise SystemExit(f"error: {flag} {path} is not a folder")
    return Path(path)

def add_run_options(ap, seeds=(0, 1, 2)): # the parser; the default seeds
    "The arguments of the scripts that train paired runs through `cct_nb.run.train_run`: the data, the budget, the seeds and any other option."
    ap.add_argument('--dataset', default='scenes'); ap.add_argument('--data-dir', default=None)
    ap.add_argument('--n-labeled', type=int, default=None); ap.add_argument('--epochs', type=int, default=None)
    ap.add_argument('--size', default=None); ap.add_argument('--seeds', type=int, nargs='+', default=list(seeds))
    ap.add_argument('--set', action='append', default=[], help='key=value: any other train_run option')

def machine() -> dict:
    "CPU model, cores, its bfloat16 instructions, torch version and threads: recorded with every benchmark result."
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    flags = next((l.split(':', 1)[1].split() for l in open('/proc/cpuinfo') if l.startswith('flags')), [])
    return {'cpu': cpu, 'cores': os.cpu_count(), 'bf16': sorted(f for f in flags if f in ('avx512_bf16', 'amx_bf16')),
            'torch': torch.__version__, 'threads': torch.get_num_threads()}

def git_commit() -> str:
    "HEAD of the checkout this script runs from, with ' (modified)' when tracked files differ; None outside git."
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=root, capture_output=True, text=True).stdout.strip()
        return head + (' (modified)' if dirty else '')
    except (OSError, subprocess.CalledProcessError): return None

def timed(f): # a function of no arguments
    "Wall and process-CPU seconds of one call of `f` (the timing every step benchmark uses)."
    t, c = time.perf_counter(), time.process_time(); f()
    return time.perf_counter() - t, time.process_time() - c

def mean_std(rows:list, key:str, where:dict) -> dict:
    "Mean, sample std and count of `row[key]` over the rows matching every `where` item."
    v = [r[key] for r in rows if all(r[k] == x for k, x in where.items())]
    return {'mean': statistics.mean(v), 'std': statistics.stdev(v) if len(v) > 1 else 0.0, 'n': len(v)}

def merge_seed_records(files:list, # JSON files of one benchmark script, one configuration, each with some seeds
                       benchmark:str, # the `benchmark` field every file must carry
                       same:tuple, # fields that must agree across the files (dataset, config, ...)
                       metrics:tuple) -> dict: # per-run fields whose mean ± std the joined record gets
    "Join per-seed records (no seed twice, sorted by seed) and recompute the statistics; a bad file exits naming it."
    import json, sys
    from pathlib import Path
    parts = []
    for f in files:
        try: parts.append((f, json.loads(Path(f).read_text())))
        except (OSError, json.JSONDecodeError) as e: sys.exit(f"error: --merge {f}: not a readable JSON file ({e})")
    first_file, first = parts[0]
    runs, seen = [], {}
    for f, d in parts:
        if d.get('benchmark') != benchmark: sys.exit(f"error: --merge {f}: not a {benchmark} record")
        for k in same:
            if d.get(k) != first.get(k): sys.exit(f"error: --merge {f}: its {k} differs from {first_file}'s; only one configuration can be merged")
        for r in d['runs']:
            if r['seed'] in seen: sys.exit(f"error: --merge {f}: seed {r['seed']} is already in {seen[r['seed']]}")
            seen[r['seed']] = f; runs.append(r)
    runs.sort(key=lambda r: r['seed'])
    res = {'benchmark': benchmark} | {k: first.get(k) for k in same} | {'seeds': [r['seed'] for r in runs], 'runs': runs}
    res |= {m: mean_std(runs, m, {}) for m in metrics}
    return res | {'wall_seconds': sum(d.get('wall_seconds', 0.0) for _, d in parts), 'command': ' '.join(['python'] + sys.argv),
                  'merged_from': (src := [e for f, d in parts for e in sources(f, d)]), 'machine': joint_machine([e['machine'] for e in src])}

def joint_machine(machines:list) -> dict: # the `machine` of every part of a merged record
    "The machine of a merged record: each field the parts agree on, and where they differ (their CPUs, say) the values joined by ' + ', so the record never names one CPU for seeds run on two."
    ms = [m for m in machines if m]
    if not ms: return None
    keys = list(dict.fromkeys(k for m in ms for k in m))
    def field(k):
        vals = []
        for m in ms:
            if m.get(k) not in vals: vals.append(m.get(k))
        return vals[0] if len(vals) == 1 else ' + '.join(sorted(map(str, vals)))
    return {k: field(k) for k in keys}

def sources(f, # the file a record was read from
            d:dict) -> list: # the record
    "Where a record's seeds came from: its own command and machine, or, for a record that was itself merged, the files it joined (so a second `--merge` keeps every seed's command and machine)."
    if 'merged_from' in d: return d['merged_from']
    return [{'file': str(f), 'command': d.get('command'), 'seeds': d['seeds'], 'machine': d.get('machine')}]

def recorded(path, # a JSON-lines file of records, each with a `cell`
             script:str='this script') -> set: # what wrote it, for the error message
    "Names of the cells already in the file (none when it does not exist); a line that is not a record exits naming it."
    import json, sys
    from pathlib import Path
    path = Path(path)
    if not path.exists(): return set()
    names = set()
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip(): continue
        try: names.add(json.loads(line)['cell'])
        except (json.JSONDecodeError, KeyError) as e: sys.exit(f"error: {path} line {i} is not a {script} record ({e})")
    return names

def append_record(path, # the JSON-lines file
                  rec:dict) -> bool: # one record with its `cell`
    "Append one record under an exclusive lock (several processes write the same file); never twice for one cell."
    import fcntl, json
    from pathlib import Path
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a+') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        if any(json.loads(l)['cell'] == rec['cell'] for l in f.read().splitlines() if l.strip()): return False
        f.write(json.dumps(rec) + '\n'); f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)
    return True

def claim_cell(runs, # the folder of the run folders
               name:str) -> bool: # the cell
    "Claim a cell for this process (a `<name>.claim` file holding its pid); False when a live process holds it (a dead one's claim is taken over)."
    from pathlib import Path
    f = Path(runs) / f'{name}.claim'
    f.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(f, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, str(os.getpid()).encode()); os.close(fd); return True
        except FileExistsError:
            try: pid = int(f.read_text() or 0)
            except (OSError, ValueError): pid = 0
            if pid and Path(f'/proc/{pid}').exists(): return False
            f.unlink(missing_ok=True)            # a killed process's claim: take the cell over (it resumes)
    return False
