"""The real CamVid (skipped when ../shared/data/camvid is absent)."""
import numpy as np, torch
from cct_nb.data import camvid_items, seg_dataset, segmentation_dls, DATASETS

def test_camvid_reader_counts_and_labels(camvid_root):
    tr, va = camvid_items(camvid_root, 'train'), camvid_items(camvid_root, 'val')
    assert (len(tr), len(va)) == (367, 101)
    ds = seg_dataset('camvid', camvid_root, 'val', train=False, size=(360, 480))
    x, y = ds[0]
    assert x.shape == (3, 360, 480) and y.shape == (360, 480)
    vals = set(y.unique().tolist())
    assert vals <= set(range(11)) | {255} and 255 in vals          # void 11 mapped to 255

def test_camvid_split_50(camvid_root):
    d = segmentation_dls('camvid', camvid_root, n_labeled=50, bs=8, size=(180, 240), seed=0)
    assert len(d.labeled_items) == 50 and len(d.unlabeled_items) == 317
    assert not {str(a) for a, _ in d.labeled_items} & {str(a) for a, _ in d.unlabeled_items}
    xb, yb = d.dls.train.one_batch()
    assert xb.shape == (8, 3, 180, 240)
