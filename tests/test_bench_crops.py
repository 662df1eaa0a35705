"""bench/crops.py: equal-size settings and the labelled crops of real files."""

import json

import pytest
from PIL import Image, features

from bench import codec_adapters, crops
from conftest import synthetic_photo

pytestmark = pytest.mark.skipif(not (features.check("webp") and features.check("avif")),
                                reason="Pillow without WebP or AVIF")


def test_largest_within_is_the_largest_file_not_above_the_budget():
    image = synthetic_photo(128, 160, seed=2)
    jpeg = codec_adapters.get("jpeg")
    budget = len(jpeg.encode(image, 60)) + 50
    setting, data = crops.largest_within(jpeg, image, budget, 1, 95, integer=True)
    assert len(data) <= budget and data == jpeg.encode(image, setting)
    assert len(jpeg.encode(image, setting + 1)) > budget
    # a budget below the smallest file: the smallest file, which the caller labels
    setting, data = crops.largest_within(jpeg, image, 10, 1, 95, integer=True)
    assert setting == 1 and len(data) > 10


def test_crops_sheet_from_real_files(tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(synthetic_photo(192, 256, seed=4)).save(source)
    out = tmp_path / "out"
    assert crops.main(["--image", str(source), "--quality", "30", "--crop", "32,40,64", "--out", str(out)]) == 0
    record = json.loads((out / "photo.json").read_text())
    budget = record["budget_bytes"]
    by_codec = {r["codec"]: r for r in record["codecs"]}
    assert set(by_codec) == {"aecodec-m2", "aecodec-m1", "jpeg", "webp", "avif"}
    assert by_codec["aecodec-m2"]["bytes"] == budget
    for r in record["codecs"]:
        assert r["bpp"] == pytest.approx(8 * r["bytes"] / (192 * 256))
        assert 10 < r["psnr"] < 60
        assert r["bytes"] <= budget or r.get("note")
    sheet = Image.open(out / "photo.png")
    assert sheet.width == 3 * 128 + 2 * 8  # three 64 px crops at 2x per row
    assert "| JPEG (Pillow, 4:2:0) |" in (out / "photo.md").read_text()
    assert crops.main(["--image", str(source), "--crop", "200,0,64", "--out", str(out)]) == 2  # does not fit
