"""PSNR, bpp and MS-SSIM helpers of bench/ on known inputs."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import metrics  # noqa: E402


def test_bpp_whole_file():
    assert metrics.bpp(49152, 768, 512) == pytest.approx(1.0)
    assert metrics.bpp(1, 1, 1) == 8.0


def test_psnr_known_values():
    a = np.zeros((4, 4, 3), np.uint8)
    assert math.isinf(metrics.psnr(a, a))
    b = a + 1  # MSE 1 -> 20 log10(255)
    assert metrics.psnr(a, b) == pytest.approx(20 * math.log10(255), abs=1e-9)
    c = a.copy()
    c[0, 0, 0] = 255  # MSE 255^2 / 48 -> 10 log10(48)
    assert metrics.psnr(a, c) == pytest.approx(10 * math.log10(48), abs=1e-9)


def test_psnr_shape_mismatch():
    with pytest.raises(ValueError):
        metrics.psnr(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 3, 3), np.uint8))


def test_msssim_identity_noise_and_small():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (192, 200, 3), dtype=np.uint8)
    assert metrics.msssim(a, a) == pytest.approx(1.0, abs=1e-5)
    noisy = np.clip(a.astype(int) + rng.integers(-40, 41, a.shape), 0, 255).astype(np.uint8)
    assert 0.0 < metrics.msssim(a, noisy) < 0.99
    assert math.isnan(metrics.msssim(a[:100], a[:100]))


def test_msssim_db():
    assert metrics.msssim_db(0.9) == pytest.approx(10.0)
    assert metrics.msssim_db(0.99) == pytest.approx(20.0)
