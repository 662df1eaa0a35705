"""Shared fixtures: test images, the shipped codec, a tiny frozen model, data folders."""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
KODAK = SHARED_DATA / "kodak"
TEST_DATA = Path(__file__).resolve().parent / "data"
TINY_MODEL = TEST_DATA / "tiny_model.safetensors"

# The checkout's own packages that are not installed (bench, fuzz, tools) for the tests that import them,
# whether pytest runs as `python -m pytest` (which puts the current folder first) or as plain `pytest`
# from any folder. Appended after site-packages, so that aecodec stays the installed one: CI runs
# test_packaging.py against the built wheel (a pytest `pythonpath` setting would put the checkout first).
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))


def training_log(run: Path) -> list[dict]:
    """The records of a training run's train_log.jsonl."""
    return [json.loads(line) for line in (Path(run) / "train_log.jsonl").read_text().splitlines()]


def with_png_size(png: bytes, width: int, height: int) -> bytes:
    """The PNG ``png`` with its header claiming ``width`` x ``height`` (the header's checksum re-sealed)."""
    data = bytearray(png)
    struct.pack_into(">II", data, 16, width, height)  # IHDR data starts after the signature, length and type
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims ``width`` x ``height``: decoding its pixels would fail, so an
    error about its size shows that the header alone was read."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    return with_png_size(buffer.getvalue(), width, height)


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


def pytest_configure(config):
    """Under pytest-xdist, each worker gets its share of the cores for torch: two workers of two threads each
    on two cores run slower than one worker alone (OpenMP threads spin while another process holds a core)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))


@pytest.fixture(scope="session")
def kodak_dir() -> Path:
    if not KODAK.is_dir():
        pytest.skip(f"Kodak images not found at {KODAK} (they live in ../shared/data beside the repo)")
    return KODAK


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    return synthetic_photo(96, 128)


# The transforms' arithmetic the shipped-model tests run in. Both by default, forced whatever the CPU,
# so that a machine without AMX also runs the bf16 path CI meets on one with AMX, and the other way
# round; AECODEC_TEST_PRECISIONS=fp32 (or bf16) narrows it for a quicker local run. Tests whose subject
# is the arithmetic (pixels, rates, tables, determinism) take `codec`; those whose subject is plumbing
# (inputs, metadata, validation, tiling of refinement) take `codec_fp32`: without AMX, bf16 runs the
# transforms about 6x slower than fp32 (an AVX2-only EPYC: 1.2 s against 0.18 s to decode 128x96).
PRECISIONS = tuple(p for p in os.environ.get("AECODEC_TEST_PRECISIONS", "fp32,bf16").split(",") if p)

# PSNR that two encoder paths may legitimately differ by when the transforms run in bf16 (its 8-bit
# mantissa moves reconstructions by a few hundredths of a dB); fp32 paths are held to 0.05 dB.
PSNR_TOLERANCE_DB = {"fp32": 0.05, "bf16": 0.15}


@pytest.fixture(scope="session", params=PRECISIONS)
def codec(request):
    """The shipped default model, with its transforms forced to each precision in turn."""
    import aecodec

    return aecodec.Codec(precision=request.param)


@pytest.fixture(scope="session", params=PRECISIONS)
def model1_codec(request):
    """Model 1 (the mean-scale hyperprior), each precision in turn, for tests of its own entropy parameters
    (model 2's: tests/test_context_*.py)."""
    import aecodec

    return aecodec.Codec(1, precision=request.param)


@pytest.fixture(scope="session")
def codec_fp32():
    """The shipped default model in fp32 only, for slow tests whose subject is not the arithmetic."""
    import aecodec

    return aecodec.Codec(precision="fp32")


@pytest.fixture(scope="session")
def tiny_codec():
    """A tiny frozen model (committed weights), for fast structural tests and golden files."""
    import aecodec

    return aecodec.Codec(weights=TINY_MODEL, precision="fp32")
