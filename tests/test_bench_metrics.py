"""bpp and MS-SSIM helpers of bench/ on known inputs (its PSNR is aecodec.metrics', tested in test_metrics.py)."""

import math

import numpy as np
import pytest

import aecodec.metrics
from bench import metrics


def test_bpp_whole_file():
    assert metrics.bpp(49152, 768, 512) == pytest.approx(1.0)
    assert metrics.bpp(1, 1, 1) == 8.0


def test_psnr_is_the_packages():
    assert metrics.psnr is aecodec.metrics.psnr


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
