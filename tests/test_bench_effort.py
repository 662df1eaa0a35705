"""bench/effort.py: BD-rate and encode time of the encoder's effort levels, from real files."""

import json

import numpy as np
from PIL import Image

from bench import effort
from conftest import synthetic_photo


def test_results_hold_each_effort_against_the_first(tmp_path):
    photos = tmp_path / "train"
    photos.mkdir()
    for i in range(10):  # every 10th photo is held out: the last one
        Image.fromarray(synthetic_photo(64, 96, seed=i)).save(photos / f"p{i}.png")
    out = tmp_path / "out"
    assert effort.main(["--model", "2", "--data", str(photos), "--images", "1", "--efforts", "0", "1",
                        "--qualities", "10", "40", "70", "100", "--out", str(out)]) == 0
    record = json.loads((out / "effort-m2.json").read_text())
    assert record["images"] == ["p9.png"] and record["model"] == 2
    first, refined = record["efforts"]
    assert (first["effort"], refined["effort"]) == (0, 1) and first["bd_rate"] == 0.0
    assert np.isfinite(refined["bd_rate"]) and refined["encode_seconds"] > first["encode_seconds"]
    assert all(np.diff(first["bpp"]) > 0) and all(np.diff(first["psnr"]) > 0)
    assert "| 1 |" in (out / "effort-m2.md").read_text()


def test_a_missing_photo_folder_is_a_clear_error(tmp_path, capsys):
    assert effort.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    assert "no training photos" in capsys.readouterr().err
