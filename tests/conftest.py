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
