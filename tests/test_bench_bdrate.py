"""BD-rate on synthetic curves and on the reference Kodak curves."""

import re

import numpy as np
import pytest

from bench import reference
from bench.bdrate import bd_rate
from bench.metrics import msssim_db
from bench.paths import REFERENCE_CSV

RATE = np.array([0.1, 0.2, 0.4, 0.8, 1.6])
PSNR = np.array([26.0, 28.5, 31.0, 34.0, 37.5])


def test_identical_curves_give_zero():
    assert bd_rate(RATE, PSNR, RATE, PSNR) == pytest.approx(0.0, abs=1e-9)


def test_half_rate_gives_minus_fifty():
    assert bd_rate(RATE, PSNR, RATE / 2, PSNR) == pytest.approx(-50.0, abs=1e-9)
    assert bd_rate(RATE, PSNR, RATE * 2, PSNR) == pytest.approx(100.0, abs=1e-9)


def test_partial_overlap_and_point_order():
    # test covers only the upper part of the anchor's range, given in shuffled order
    order = [3, 0, 2, 1]
    r, q = (RATE[1:] * 0.8)[order], PSNR[1:][order]
    # not exact: PCHIP end slopes of the shorter curve differ from the full curve's
    assert bd_rate(RATE, PSNR, r, q) == pytest.approx(-20.0, abs=0.5)
    assert bd_rate(RATE, PSNR, RATE[::-1] * 0.8, PSNR[::-1]) == pytest.approx(-20.0, abs=1e-9)


def test_no_overlap_is_nan():
    assert np.isnan(bd_rate(RATE, PSNR, RATE, PSNR + 20))
    assert np.isnan(bd_rate(RATE[:1], PSNR[:1], RATE, PSNR))


def _readme_table() -> dict[str, float]:
    text = (REFERENCE_CSV.parent / "README.md").read_text()
    rows = re.findall(r"^\|\s*(.+?)\s*\|\s*[−-]([\d.]+)\s*%\s*\|", text, flags=re.M)
    return {name: -float(v) for name, v in rows}


@pytest.mark.skipif(not REFERENCE_CSV.is_file(), reason=f"reference curves absent: {REFERENCE_CSV}")
def test_reference_classical_bd_rates_match_readme():
    curves = {codec: c for (source, codec), c in reference.load().items() if source == "measured"}
    table = _readme_table()
    expected = {"mozjpeg": "MozJPEG 3.2", "jxl": "JPEG XL e7", "webp": "WebP m6",
                "jpeg2000": "JPEG 2000", "avif": "AVIF s6 4:4:4", "heic": "HEIC (x265 4:4:4)"}
    jpeg = curves["jpeg"]
    for codec, name in expected.items():
        c = curves[codec]
        got = bd_rate(jpeg["bpp"], jpeg["psnr"], c["bpp"], c["psnr"])
        assert got == pytest.approx(table[name], abs=1.0), codec
        # MS-SSIM BD-rates exist and are in a plausible range
        ms = bd_rate(jpeg["bpp"], msssim_db(jpeg["msssim"]), c["bpp"], msssim_db(c["msssim"]))
        assert -70 < ms < 0, codec


@pytest.mark.skipif(not REFERENCE_CSV.is_file(), reason=f"reference curves absent: {REFERENCE_CSV}")
def test_reference_published_bd_rates_match_readme():
    curves = reference.load()
    jpeg = curves[("measured", "jpeg")]
    table = _readme_table()
    c = curves[("published", "compressai mbt2018-mean (mse)")]
    got = bd_rate(jpeg["bpp"], jpeg["psnr"], c["bpp"], c["psnr"])
    assert got == pytest.approx(table["CompressAI mbt2018-mean (mean-scale hyperprior)"], abs=1.0)
