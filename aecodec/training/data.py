"""Random training patches from a folder of images: crops, flips and mild random downscaling."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from aecodec.imageio import readable_suffixes


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name."""
    folder = Path(folder)
    suffixes = readable_suffixes()
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    if not files:
        raise FileNotFoundError(f"no images found in {folder}")
    return files


def split_holdout(files: list[Path], every: int) -> tuple[list[Path], list[Path]]:
    """(training files, held-out files): every ``every``-th file by name is held out (0: none)."""
    if every <= 0:
        return list(files), []
    return ([f for i, f in enumerate(files) if i % every != every - 1],
            [f for i, f in enumerate(files) if i % every == every - 1])


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


class PatchSampler:
    """Draws batches of (B, P, P, 3) uint8 patches from images held in memory.

    Each patch is cut from a random image at a random place, from a square of side P / s with s
    drawn in [min_scale, 1] and resized to P (area-averaging, so noise and demosaicing artefacts
    shrink like in a downscaled photo), then flipped at random (left-right only when ``upright``: photos
    are not symmetric upside down, light comes from above). A fraction ``synthetic`` of the patches
    are smooth synthetic gradients instead (``smooth_gradient``): content the photos hold little of.
    """

    def __init__(self, folder: str | Path, patch: int, batch: int, seed: int, min_scale: float = 0.5,
                 holdout_every: int = 0, synthetic: float = 0.0, upright: bool = False):
        if not 0 < min_scale <= 1:
            raise ValueError(f"min_scale must be in (0, 1], not {min_scale}")
        training, _ = split_holdout(list_images(folder), holdout_every)
        self.images = [load_rgb(p) for p in training]
        self.images = [im for im in self.images if min(im.shape[:2]) >= patch]
        if not self.images:
            raise ValueError(f"no image in {folder} is at least {patch} pixels on each side")
        self.patch, self.batch, self.min_scale, self.synthetic = patch, batch, min_scale, synthetic
        self.upright = upright
        self.rng = np.random.default_rng(seed)
        # Sample images in proportion to their area so that every pixel is equally likely.
        areas = np.array([im.shape[0] * im.shape[1] for im in self.images], dtype=np.float64)
        self.weights = areas / areas.sum()

    def sample_patch(self, rng: np.random.Generator | None = None) -> np.ndarray:
        rng = self.rng if rng is None else rng
        if self.synthetic and rng.random() < self.synthetic:
            return smooth_gradient(self.patch, rng)
        im = self.images[rng.choice(len(self.images), p=self.weights)]
        h, w = im.shape[:2]
        scale = rng.uniform(self.min_scale, 1.0)
        side = min(int(round(self.patch / scale)), h, w)
        top = rng.integers(0, h - side + 1)
        left = rng.integers(0, w - side + 1)
        crop = im[top : top + side, left : left + side]
        if side != self.patch:
            crop = np.asarray(Image.fromarray(crop).resize((self.patch, self.patch), Image.Resampling.BOX))
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        if rng.random() < 0.5 and not self.upright:  # drawn either way: the same crops with and without
            crop = crop[::-1]
        return crop

    def sample_batch(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """One batch; ``rng`` (default: the sampler's own) makes concurrent calls independent."""
        return np.stack([self.sample_patch(rng) for _ in range(self.batch)])


def smooth_gradient(side: int, rng: np.random.Generator) -> np.ndarray:
    """A (side, side, 3) uint8 patch of linear colour ramps: per channel a level and a slope along one
    random direction (sometimes one per channel), spanning up to the whole range over the patch, with
    faint noise (as rendered graphics and skies have) or none."""
    yy, xx = np.mgrid[0:side, 0:side] / side
    shared = rng.uniform(0, 2 * np.pi)
    channels = []
    for _ in range(3):
        angle = shared if rng.random() < 0.7 else rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * xx + np.sin(angle) * yy
        span = rng.uniform(-255, 255) * rng.uniform(0.05, 1.0)
        level = rng.uniform(0, 255)
        channels.append(level + span * (ramp - ramp.mean()))
    image = np.stack(channels, axis=-1) + rng.normal(0, rng.choice([0.0, 0.5, 1.5]), (side, side, 3))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def step_batches(batch_for_step: Callable[[int], np.ndarray], first_step: int,
                 workers: int = 0) -> Iterator[np.ndarray]:
    """``batch_for_step(s)`` for s = first_step, first_step + 1, ...

    With ``workers`` > 0, that many threads cut the batches of the coming steps ahead of time
    (Pillow and numpy release the GIL); the batches are the same either way.
    """
    step = first_step
    if workers <= 0:
        while True:
            yield batch_for_step(step)
            step += 1
    with ThreadPoolExecutor(workers) as pool:
        pending = {s: pool.submit(batch_for_step, s) for s in range(step, step + workers)}
        while True:
            batch = pending.pop(step).result()
            pending[step + workers] = pool.submit(batch_for_step, step + workers)
            yield batch
            step += 1
