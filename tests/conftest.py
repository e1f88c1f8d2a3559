import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CAMVID = Path(os.environ.get('CCT_NB_CAMVID', ROOT.parent / 'shared' / 'data' / 'camvid'))
BIN = Path(sys.executable).parent

@pytest.fixture
def camvid_root():
    if not (CAMVID / 'train').is_dir(): pytest.skip(f'CamVid not found at {CAMVID} (set CCT_NB_CAMVID)')
    return CAMVID

def pytest_configure(config):
    config.addinivalue_line('markers', 'browser: JupyterLab in headless Chromium (tests/test_browser.py; needs chromium and playwright)')

class DtypeWatch:
    "A TorchFunctionMode recording every tensor a torch function returns that is floating with another dtype, or on another device."
    def __new__(cls, dtype, device):
        from torch.overrides import TorchFunctionMode
        import torch
        class _Watch(TorchFunctionMode):
            def __init__(self):
                super().__init__(); self.dtype, self.device, self.bad = dtype, torch.device(device), []
            def __torch_function__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                for o in (out if isinstance(out, (tuple, list)) else (out,)):
                    if isinstance(o, torch.Tensor) and ((o.is_floating_point() and o.dtype != self.dtype) or o.device != self.device):
                        self.bad.append((getattr(func, '__name__', str(func)), o.dtype, o.device))
                return out
        return _Watch()
