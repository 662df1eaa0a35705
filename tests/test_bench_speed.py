"""A tiny run of bench/speed.py: JPEG only, one small image, small peak-RSS image."""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from bench import speed


def _images(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i, (h, w) in enumerate([(64, 96), (96, 64)]):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"i{i}.png")
    return folder


def test_tiled_image_uses_landscape_tiles(tmp_path):
    img = speed.tiled_image(250, 130, _images(tmp_path / "imgs"))
    assert img.shape == (130, 250, 3) and img.dtype == np.uint8
    tile = np.asarray(Image.open(tmp_path / "imgs" / "i0.png"))
    assert np.array_equal(img[:64, :96], tile) and np.array_equal(img[64:128, 96:192], tile)


def test_speed_smoke(tmp_path):
    imgs = _images(tmp_path / "imgs")
    out = tmp_path / "out"
    argv = ["--images", str(imgs), "--codecs", "jpeg", "--threads", "1,2", "--repeat", "1",
            "--rss-size", "300x200", "--out", str(out)]
    assert speed.main(argv) == 0
    result = json.loads((out / "speed.json").read_text())
    assert set(result["summary"]["jpeg"]) == {"1", "2"}
    assert result["summary"]["jpeg"]["1"]["median_encode_ms"] > 0
    assert len(result["per_image"]) == 2 * 2
    rss = result["rss"]["jpeg"]
    assert rss["encode"]["peak_rss_mb"] >= rss["encode"]["baseline_rss_mb"] > 0
    assert rss["decode"]["size"] == [300, 200]
    assert "Time per image" in (out / "speed.md").read_text()
