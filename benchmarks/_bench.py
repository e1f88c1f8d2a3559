"""Shared pieces of the benchmark scripts: machine facts and mean ± std of a metric."""
import os, platform, statistics
import torch

def machine() -> dict:
    "CPU model, cores, torch version and threads: recorded with every benchmark result."
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return {'cpu': cpu, 'cores': os.cpu_count(), 'torch': torch.__version__, 'threads': torch.get_num_threads()}

def mean_std(rows:list, key:str, where:dict) -> dict:
    "Mean, sample std and count of `row[key]` over the rows matching every `where` item."
    v = [r[key] for r in rows if all(r[k] == x for k, x in where.items())]
    return {'mean': statistics.mean(v), 'std': statistics.stdev(v) if len(v) > 1 else 0.0, 'n': len(v)}
