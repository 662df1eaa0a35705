"""Model 2 against model 1 on smooth synthetic content: colour ramps the training photos hold little of.

    python -m bench.synthetic [--threads T] [--images N] [--qualities Q,Q,...] [--weights FILE ...]

Real files (bytes of ``Codec.encode``, PSNR of ``Codec.decode``) of a fixed set of synthetic images: a
512x512 ramp (R = x/2, G = y/2, B = (x+y)/4) and eight 256x256 patches of ``aecodec.training.data.
smooth_gradient`` (seed 0), at qualities 10-90; the mean curve of each model and its BD-rate (PSNR) against
model 1. ``--weights`` adds model-2 weights files (a training run's snapshots). Writes
bench/results/synthetic/results.json and results.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import aecodec
from aecodec.metrics import psnr
from aecodec.training.data import smooth_gradient
from bench import sysinfo
from bench.bdrate import bd_rate
from bench.paths import RESULTS_DIR

QUALITIES = (10, 30, 50, 70, 90)


def synthetic_images() -> list[np.ndarray]:
    yy, xx = np.mgrid[0:512, 0:512]
    ramp = np.stack([xx * 0.5, yy * 0.5, (xx + yy) * 0.25], axis=-1).astype(np.uint8)
    rng = np.random.default_rng(0)
    return [ramp] + [smooth_gradient(256, rng) for _ in range(8)]


def curve(codec: aecodec.Codec, images: list[np.ndarray], levels) -> tuple[list[float], list[float]]:
    """Mean bpp and mean PSNR over ``images`` at each quality of ``levels``."""
    rates, qualities = [], []
    for quality in levels:
        coded = [codec.encode(im, quality=quality) for im in images]
        rates.append(float(np.mean([8 * len(d) / (im.shape[0] * im.shape[1]) for d, im in zip(coded, images)])))
        qualities.append(float(np.mean([psnr(codec.decode(d), im) for d, im in zip(coded, images)])))
    return rates, qualities


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--images", type=int, default=0, help="only the first N images (the ramp first)")
    parser.add_argument("--qualities", default=",".join(map(str, QUALITIES)), help="comma-separated qualities")
    parser.add_argument("--out", default=str(RESULTS_DIR / "synthetic"))
    parser.add_argument("--weights", nargs="*", default=[], help="model-2 weights files to measure beside models 1 and 2")
    args = parser.parse_args(argv)
    for path in args.weights:
        if not Path(path).is_file():
            parser.error(f"no weights file at {path}")
    levels = tuple(int(q) for q in args.qualities.split(","))
    images = synthetic_images()[: args.images or None]
    codecs = {"model 1": aecodec.Codec(1, threads=args.threads), "model 2": aecodec.Codec(2, threads=args.threads)}
    codecs.update({Path(p).name: aecodec.Codec(2, weights=p, threads=args.threads) for p in args.weights})
    curves = {name: curve(codec, images, levels) for name, codec in codecs.items()}
    anchor = curves["model 1"]
    results = {name: {"bpp": r, "psnr": q, "bd_rate_vs_model_1": None if name == "model 1" else bd_rate(*anchor, r, q)}
               for name, (r, q) in curves.items()}

    meta = {**sysinfo.meta(), "images": len(images), "qualities": levels}
    lines = ["# Smooth synthetic content: model 2 against model 1", "", *sysinfo.markdown_header(meta), "",
             f"{len(images)} synthetic images (the 512x512 ramp, then 256x256 `smooth_gradient` patches); mean bpp / "
             "mean PSNR (dB) of real files per quality, and the BD-rate (PSNR) against model 1.", "",
             "| weights | " + " | ".join(f"q{q}" for q in levels) + " | BD-rate vs model 1 |",
             "|---" * (len(levels) + 2) + "|"]
    for name, r in results.items():
        bd = "anchor" if r["bd_rate_vs_model_1"] is None else f"{r['bd_rate_vs_model_1']:+.1f} %"
        lines.append(f"| {name} | " + " | ".join(f"{b:.3f} / {p:.2f}" for b, p in zip(r["bpp"], r["psnr"]))
                     + f" | {bd} |")
    sysinfo.write_results(args.out, "results", {"meta": meta, "models": results}, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
