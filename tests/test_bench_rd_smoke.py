"""A tiny run of bench/rd.py: two small images, JPEG and WebP, into a tmp dir."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from bench import rd

pytestmark = pytest.mark.skipif(not features.check("webp"), reason="Pillow without WebP")


def _images(folder: Path) -> None:
    folder.mkdir()
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:176, 0:200]
    for i in range(2):
        base = np.stack([x * (1 + i), y * 1.3, (x + y) * 0.6], axis=-1) % 256
        img = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"img{i}.png")


def test_rd_smoke(tmp_path):
    _images(tmp_path / "imgs")
    out = tmp_path / "out"
    grid = ["--settings", "jpeg=20,50,80", "--settings", "webp=20,50,80"]
    argv = ["--images", str(tmp_path / "imgs"), "--codecs", "jpeg,webp", "--out", str(out), *grid]
    assert rd.main(argv) == 0
    for name in ("rd_per_image.csv", "rd_curves.csv", "bd_rates.json", "bd_rates.md", "rd.png", "meta.json"):
        assert (out / name).stat().st_size > 0, name

    rows = list(csv.DictReader(open(out / "rd_per_image.csv")))
    assert len(rows) == 2 * 3 * 2
    for r in rows:
        assert int(r["bytes"]) > 0
        assert float(r["bpp"]) == pytest.approx(8 * int(r["bytes"]) / (200 * 176), rel=1e-5)
        assert 15 < float(r["psnr"]) < 60
        assert 0.5 < float(r["msssim"]) <= 1.0
    curves = list(csv.DictReader(open(out / "rd_curves.csv")))
    assert {c["codec"] for c in curves} == {"jpeg", "webp"}
    jpeg_bpp = [float(c["bpp"]) for c in curves if c["codec"] == "jpeg"]
    assert jpeg_bpp == sorted(jpeg_bpp)

    bd = json.loads((out / "bd_rates.json").read_text())
    assert bd["jpeg"] == {"psnr": 0.0, "msssim": 0.0}
    assert math.isfinite(bd["webp"]["psnr"]) and -90 < bd["webp"]["psnr"] < 90
    meta = json.loads((out / "meta.json").read_text())
    assert meta["n_images"] == 2 and "versions" in meta and "machine" in meta

    # --reuse: re-measure only JPEG, keep the cached WebP rows
    assert rd.main([*argv[:2], "--codecs", "jpeg", "--out", str(out), "--reuse", *grid]) == 0
    rows2 = list(csv.DictReader(open(out / "rd_per_image.csv")))
    assert len(rows2) == len(rows)
    assert json.loads((out / "meta.json").read_text())["reused_from_cache"] == ["webp"]


def test_readme_table_and_drop(tmp_path):
    _images(tmp_path / "imgs")
    out = tmp_path / "out"
    grid = ["--settings", "jpeg=20,50,80", "--settings", "webp=20,50,80"]
    argv = ["--images", str(tmp_path / "imgs"), "--out", str(out), *grid]
    assert rd.main([*argv, "--codecs", "jpeg,webp"]) == 0
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{rd.README_BEGIN}\nstale table\n{rd.README_END}\noutro\n")
    measured = json.loads((out / "meta.json").read_text())["measured"]
    assert rd.main([*argv, "--report-only", "--readme", str(readme)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["measured"] == measured == ["jpeg", "webp"] and "report_rebuilt" in meta  # provenance kept
    text = readme.read_text()
    assert "stale table" not in text and text.startswith("intro\n") and text.endswith(f"{rd.README_END}\noutro\n")
    webp = json.loads((out / "bd_rates.json").read_text())["webp"]["psnr"]
    assert f"| WebP m6 | measured here | {webp:+.1f} % |" in text

    # a README without the markers is an error, and is left as it was
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        rd.main([*argv, "--report-only", "--readme", str(plain)])
    assert plain.read_text() == "no markers\n"

    # --drop discards a codec's cached rows
    assert rd.main([*argv, "--codecs", "jpeg", "--reuse", "--drop", "webp"]) == 0
    assert {r["codec"] for r in csv.DictReader(open(out / "rd_per_image.csv"))} == {"jpeg"}
