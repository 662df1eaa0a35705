"""tools/gpu_data.py: JPEG copies of the training photos with the same names, so the same hold-out."""

import numpy as np
from PIL import Image

from aecodec.training.data import list_images, split_holdout
from tools.gpu_data import main


def test_copies_keep_names_order_and_hold_out(tmp_path):
    source, out = tmp_path / "train", tmp_path / "gpudata"
    source.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(source / f"photo{i:02d}.png")
    assert main(["--source", str(source), "--out", str(out)]) == 0
    copies = list_images(out)
    assert [p.stem for p in copies] == [p.stem for p in list_images(source)]
    assert [p.stem for p in split_holdout(copies, 10)[1]] == [p.stem for p in split_holdout(list_images(source), 10)[1]]
    with Image.open(copies[0]) as im:
        assert im.format == "JPEG" and im.size == (32, 24)
