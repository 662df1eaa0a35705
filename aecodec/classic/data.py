"""Offline data for the classic autoencoders: scikit-learn's bundled 8x8 digits and grayscale
patches cut from the photographs in ``../shared/data/train``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aecodec.classic.extras import require

# /work/main/aecodec/classic/data.py -> /work/main/../shared/data/train
DEFAULT_PATCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "train"


@dataclass
class Split:
    """Train and test images (N, 1, H, W) float32 in [0, 1], with labels (-1 when unlabelled)."""

    x_train: torch.Tensor
    y_train: np.ndarray
    x_test: torch.Tensor
    y_test: np.ndarray


def load_digits_split(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's 1797 8x8 digits scaled to [0, 1], split stratified by label."""
    require("sklearn", "the digits data set")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=test_fraction, random_state=seed, stratify=d.target)
    return Split(torch.from_numpy(xtr), ytr, torch.from_numpy(xte), yte)


def anomaly_split(anomaly_digit: int, test_fraction: float = 0.25, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Digits for anomaly detection: (train normals, held-out normals, all images of ``anomaly_digit``).

    The model never sees ``anomaly_digit``; held-out normals are the test part of the other digits.
    """
    if not 0 <= anomaly_digit <= 9:
        raise ValueError("anomaly_digit must be in 0..9")
    s = load_digits_split(test_fraction, seed)
    anomalies = torch.cat([s.x_train[s.y_train == anomaly_digit], s.x_test[s.y_test == anomaly_digit]])
    return s.x_train[s.y_train != anomaly_digit], s.x_test[s.y_test != anomaly_digit], anomalies


def _read_gray(folder: str | Path, max_images: int) -> list[np.ndarray]:
    from PIL import Image

    from aecodec.imageio import readable_suffixes

    folder, suffixes = Path(folder), readable_suffixes()
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in suffixes)[:max_images]
    if not files:
        raise FileNotFoundError(f"no images in {folder}")
    images = []
    for f in files:
        with Image.open(f) as im:
            images.append(np.asarray(im.convert("L"), dtype=np.float32) / 255.0)
    return images


def _crop(images: list[np.ndarray], patch: int, n: int, rng: np.random.Generator) -> torch.Tensor:
    images = [a for a in images if min(a.shape) >= patch]
    if not images:
        raise ValueError(f"no image is at least {patch} pixels on each side")
    out = np.empty((n, 1, patch, patch), dtype=np.float32)
    for i in range(n):
        a = images[rng.integers(len(images))]
        top, left = rng.integers(a.shape[0] - patch + 1), rng.integers(a.shape[1] - patch + 1)
        out[i, 0] = a[top : top + patch, left : left + patch]
    return torch.from_numpy(out)


def load_patches(
    folder: str | Path = DEFAULT_PATCH_DIR, patch: int = 8, n: int = 4000, seed: int = 0, max_images: int = 20
) -> torch.Tensor:
    """``n`` random grayscale ``patch`` x ``patch`` crops, shape (n, 1, patch, patch), in [0, 1],
    from the first ``max_images`` images of ``folder`` (by name)."""
    return _crop(_read_gray(folder, max_images), patch, n, np.random.default_rng(seed))


def load_patch_split(
    folder: str | Path = DEFAULT_PATCH_DIR, patch: int = 8, n: int = 4000, seed: int = 0,
    test_fraction: float = 0.25, max_images: int = 20,
) -> Split:
    """Train and test patches cut from different images (test: the last ``test_fraction`` of them).

    Patches are unlabelled (labels are -1).
    """
    images = _read_gray(folder, max_images)
    if len(images) < 2:
        raise ValueError("need at least two images to split patches by image")
    k_img = min(len(images) - 1, max(1, int(round(len(images) * (1 - test_fraction)))))
    n_test = int(round(n * test_fraction))
    rng = np.random.default_rng(seed)
    x_train = _crop(images[:k_img], patch, n - n_test, rng)
    x_test = _crop(images[k_img:], patch, n_test, rng)
    return Split(x_train, np.full(len(x_train), -1), x_test, np.full(len(x_test), -1))
