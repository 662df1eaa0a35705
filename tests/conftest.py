"""Shared fixtures: test images, the shipped codec, a tiny frozen model, data folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
KODAK = SHARED_DATA / "kodak"
TEST_DATA = Path(__file__).resolve().parent / "data"
TINY_MODEL = TEST_DATA / "tiny_model.safetensors"


def synthetic_photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth, textured RGB image (gradients, blobs and mild noise) standing in for a photo."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.zeros((height, width, 3))
    for c in range(3):
        image[..., c] = 120 + 60 * np.sin(xx / (17 + 5 * c) + c) * np.cos(yy / (23 - 3 * c))
    for _ in range(6):
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(4, 40)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        image += blob[..., None] * rng.uniform(-80, 80, size=3)
    image += rng.normal(0, 3, size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def kodak_dir() -> Path:
    if not KODAK.is_dir():
        pytest.skip(f"Kodak images not found at {KODAK} (they live in ../shared/data beside the repo)")
    return KODAK


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    return synthetic_photo(96, 128)


@pytest.fixture(scope="session")
def codec():
    """The shipped default model."""
    import aecodec

    return aecodec.Codec()


@pytest.fixture(scope="session")
def tiny_codec():
    """A tiny frozen model (committed weights), for fast structural tests and golden files."""
    import aecodec

    return aecodec.Codec(weights=TINY_MODEL, precision="fp32")
