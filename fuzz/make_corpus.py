"""Writes the fuzzing seed corpus (fuzz/corpus/): small valid inputs of both harnesses.

    python fuzz/make_corpus.py

Container seeds are files of a few small images coded with the tiny test model; core seeds are
streams of the default Gaussian coder (decoded at once and in parts) and of indexed tables, in
core_harness.py's input layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

import container_harness
import core_harness

HERE = Path(__file__).resolve().parent


def small_image(height: int, width: int, channels: int, seed: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    planes = [(128 + 90 * np.sin(xx / (3 + c) + yy / (5 + c)) + rng.normal(0, 8, (height, width))) for c in range(channels)]
    return np.clip(np.stack(planes, axis=-1), 0, 255).astype(np.uint8)


def container_seeds() -> dict[str, bytes]:
    codec = container_harness.tiny_codec()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with_icc = Image.fromarray(small_image(8, 8, 3, 5), "RGB")
    with_icc.info["icc_profile"] = srgb
    images = {
        "rgb_16x16": Image.fromarray(small_image(16, 16, 3, 1), "RGB"),
        "l_8x24": Image.fromarray(small_image(8, 24, 1, 2)[..., 0], "L"),
        "rgba_12x12": Image.fromarray(small_image(12, 12, 4, 3), "RGBA"),
        "la_10x20": Image.fromarray(small_image(10, 20, 2, 4), "LA"),
        "rgb_icc_8x8": with_icc,
    }
    seeds = {}
    for name, image in images.items():
        data = codec.encode(image, quality=40)
        seeds[f"{name}.sealed"] = b"\x00" + data  # CRC kept as it is
        seeds[f"{name}.reseal"] = b"\x01" + data  # CRC recomputed after mutation
    return seeds


def core_seeds() -> dict[str, bytes]:
    from aecodec.entropy import IndexedCoder, default_gaussian_coder

    gaussian = default_gaussian_coder()
    seeds = {}
    for n, substreams, threads in ((0, 1, 1), (1, 1, 1), (40, 1, 1), (300, 3, 2), (600, 8, 4)):
        means, scales, _ = core_harness.side_inputs(n, 1)
        rng = np.random.default_rng(n + 1)
        y = means + rng.normal(0, 1, n).astype(np.float32) * scales
        if n > 10:
            y[::17] += 3e4  # escapes
        stream = gaussian.compress(y, means, scales, substreams=substreams)
        seeds[f"gaussian_{n}_{substreams}"] = core_harness.header(0, n, threads) + stream
        if n in (40, 600):  # the same streams decoded in parts (model 2's pass decoder)
            parts = 3 if n == 40 else 8
            seeds[f"passes_{n}_{substreams}_{parts}"] = core_harness.header(3, n, threads, parts) + stream
    fixed = IndexedCoder.from_pmfs(*core_harness.FIXED_PMFS)
    for n, substreams in ((5, 1), (200, 4)):
        _, _, indexes = core_harness.side_inputs(n, 3)
        symbols = np.random.default_rng(n).integers(-5, 110, n).astype(np.int32)
        seeds[f"indexed_{n}_{substreams}"] = core_harness.header(1, n, 2) + fixed.compress(symbols, indexes)
    # Tables from the input: two precision-4 tables and one precision-16 table.
    for name, cdfs, offsets, precision in (("p4", [[0, 8, 15, 16], [0, 1, 2, 3, 16]], [0, -3], 4),
                                           ("p16", [[0, 1000, 60000, 65535]], [7], 16)):
        from aecodec import _core

        tables_block = core_harness.table_bytes(cdfs, offsets, precision)
        parsed = core_harness._parse_tables(b"\0" * 4 + tables_block, 4)
        tables = _core.Tables(*parsed[:4])
        n = 64
        _, _, indexes = core_harness.side_inputs(n, len(tables))
        symbols = np.random.default_rng(3).integers(-8, 8, n).astype(np.int32)
        stream = _core.encode_indexed(tables, symbols, indexes, 2, 1)
        seeds[f"tables_{name}"] = core_harness.header(2, n, 1) + tables_block + stream
    return seeds


def main() -> None:
    for target, seeds in (("container", container_seeds()), ("core", core_seeds())):
        folder = HERE / "corpus" / target
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds, {sum(len(d) for d in seeds.values())} bytes")


if __name__ == "__main__":
    main()
