"""aecodec.metrics.psnr on known inputs."""

import math

import numpy as np
import pytest
from PIL import Image

from aecodec.metrics import psnr


def test_psnr_known_values():
    a = np.zeros((4, 4, 3), np.uint8)
    assert math.isinf(psnr(a, a))
    b = a + 1  # MSE 1 -> 20 log10(255)
    assert psnr(a, b) == pytest.approx(20 * math.log10(255), abs=1e-9)
    c = a.copy()
    c[0, 0, 0] = 255  # MSE 255^2 / 48 -> 10 log10(48)
    assert psnr(a, c) == pytest.approx(10 * math.log10(48), abs=1e-9)


def test_psnr_of_pil_images_and_unit_range_arrays():
    a = np.zeros((4, 4), np.uint8)
    assert psnr(Image.fromarray(a), a + 1) == pytest.approx(20 * math.log10(255), abs=1e-9)
    x = np.zeros((2, 8), np.float32)
    assert psnr(x, x + 0.1, peak=1.0) == pytest.approx(20.0, abs=1e-5)  # MSE 0.01


def test_psnr_shape_mismatch():
    with pytest.raises(ValueError, match="shape mismatch"):
        psnr(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 3, 3), np.uint8))
