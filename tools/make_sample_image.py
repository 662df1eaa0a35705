"""Draws the demo's sample image, aecodec/data/sample.png: a procedural landscape, no photograph.

    python tools/make_sample_image.py

Photo-like on purpose (smooth sky, soft clouds, hazy ridges, textured grass, a tree, sensor noise) so
that `aecodec demo` shows a fair figure without the Kodak set; nothing in it comes from training or
test data. Deterministic: rerunning it rewrites the same pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

SIZE = 256
OUT = Path(__file__).resolve().parents[1] / "aecodec" / "data" / "sample.png"


def fractal_noise(rng: np.random.Generator, height: int, width: int, octaves: int = 5, base: int = 4) -> np.ndarray:
    """Sum of bicubically upsampled random grids, finer grids weaker; roughly in [-1, 1]."""
    total = np.zeros((height, width))
    for octave in range(octaves):
        cells = base * 2**octave
        grid = rng.uniform(-1, 1, size=(cells + 1, cells + 1)).astype(np.float32)
        up = Image.fromarray(grid, mode="F").resize((width, height), Image.BICUBIC)
        total += np.asarray(up, dtype=np.float64) / 2**octave
    return total / 1.9


def ridge(rng: np.random.Generator, width: int, level: float, amplitude: float) -> np.ndarray:
    """A mountain outline: one height (in rows) per column."""
    line = fractal_noise(rng, 1, width, octaves=6, base=3)[0]
    return level + amplitude * line


def landscape(seed: int = 2026) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = w = SIZE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    # Sky: deep blue at the top to a pale horizon, a sun glow and soft clouds.
    t = yy / h
    image = np.stack([70 + 150 * t, 120 + 110 * t, 200 + 45 * t], axis=-1)
    sun = np.exp(-((yy - 50) ** 2 + (xx - 190) ** 2) / (2 * 14.0**2))
    glow = np.exp(-((yy - 50) ** 2 + (xx - 190) ** 2) / (2 * 60.0**2))
    image += sun[..., None] * np.array([90, 80, 40]) + glow[..., None] * np.array([40, 30, 5])
    clouds = np.clip(fractal_noise(rng, h, w, octaves=6) * 1.6 - 0.1, 0, 1) * np.clip(1.4 - 2.2 * t, 0, 1)
    image = image * (1 - clouds[..., None] * 0.8) + clouds[..., None] * np.array([245, 245, 250]) * 0.8
    # Two ridges: far ones bluish in the haze, near ones green and textured.
    layers = [(ridge(rng, w, 120, 30), np.array([105, 125, 160]), 10.0),
              (ridge(rng, w, 165, 22), np.array([70, 105, 60]), 22.0)]
    for outline, colour, texture in layers:
        mask = np.clip(yy - outline[None, :], 0, 1.5) / 1.5  # one-pixel soft edge
        shade = fractal_noise(rng, h, w, octaves=6, base=8) * texture
        depth = (yy - outline[None, :]).clip(0, None) * 0.25  # darker away from the crest
        rock = colour[None, None, :] + shade[..., None] - depth[..., None]
        image = image * (1 - mask[..., None]) + rock * mask[..., None]
    # Foreground meadow: warm grass with fine blades (vertical streaks) and light patches.
    meadow = np.clip((yy - 212) / 3, 0, 1)
    blades = np.asarray(Image.fromarray(rng.uniform(-1, 1, (h // 6 + 1, w)).astype(np.float32), mode="F")
                        .resize((w, h), Image.BICUBIC), dtype=np.float64)
    patches = fractal_noise(rng, h, w, octaves=4, base=6)
    grass = (np.array([95, 130, 45])[None, None, :] + 30 * blades[..., None] + 25 * patches[..., None]
             + (yy - 212)[..., None] * np.array([0.6, 0.3, 0.1]))
    image = image * (1 - meadow[..., None]) + grass * meadow[..., None]
    # A tree: trunk and a leafy crown with shading from the sun's side.
    trunk = (np.abs(xx - 62) < 3 + (yy - 170) * 0.03) & (yy > 170) & (yy < 228)
    image[trunk] = np.array([75, 55, 40]) + rng.normal(0, 6, (trunk.sum(), 1))
    crown_shape = ((xx - 62) / 30) ** 2 + ((yy - 160) / 26) ** 2 + 0.35 * fractal_noise(rng, h, w, 5, 10)
    crown = np.clip((1 - crown_shape) * 6, 0, 1)
    light = 0.75 + 0.25 * np.clip((xx - 62 - (yy - 160) * 0.3) / 30, -1, 1)
    leaves = np.array([45, 95, 35])[None, None, :] * light[..., None] + 28 * fractal_noise(rng, h, w, 4, 24)[..., None]
    image = image * (1 - crown[..., None]) + leaves * crown[..., None]
    # A lens-like softening, then mild sensor noise.
    soft = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    noisy = np.asarray(soft, dtype=np.float64) + rng.normal(0, 1.5, (h, w, 3))
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(landscape()).save(OUT, optimize=True)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
