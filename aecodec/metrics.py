"""Image quality metrics shared by the demo, the benchmarks, the classic family and the tests."""

from __future__ import annotations

import math

import numpy as np


def psnr(a, b, peak: float = 255.0) -> float:
    """PSNR in dB of two images of one shape (arrays, PIL images), all channels together; inf when identical.

    ``peak`` is the largest pixel value: 255 for 8-bit images, 1.0 for images scaled to [0, 1].
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    mse = np.mean((a - b) ** 2)
    return math.inf if mse == 0 else psnr_of_mse(mse, peak)


def psnr_of_mse(mse: float, peak: float = 255.0) -> float:
    """PSNR in dB of a mean squared error (> 0) between images whose largest pixel value is ``peak``."""
    return 10.0 * math.log10(peak**2 / mse)
