"""Where the top of the rate-distortion curve is limited: coded PSNR against the transforms' ceiling.

    python -m bench.ceiling [--images N] [--threads T] [--weights FILE ...]

For models 1 and 2 (their weights in this checkout), and any other weights files named (a training run's
snapshots, a widened model), each level's PSNR with the latent coded (rounded,
model 2's residual prediction included) and with the latent not rounded at all, averaged over the photos
training holds out (never Kodak). A gap that shrinks toward the top levels means the analysis and
synthesis transforms, not the entropy model, cap the highest qualities. Writes
bench/results/ceiling/results.json and results.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from aecodec.nn.store import load_weights, short_fingerprint
from aecodec.releases import encoder_weights
from aecodec.training.data import list_images, load_rgb, split_holdout
from aecodec.training.evaluate import transform_ceiling
from bench import sysinfo
from bench.paths import RESULTS_DIR, SHARED

LEVELS = (0.0, 3.0, 5.0, 7.0, 8.0, 9.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=0, help="only the first N held-out photos")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=str(SHARED / "data" / "train"))
    parser.add_argument("--out", default=str(RESULTS_DIR / "ceiling"))
    parser.add_argument("--weights", nargs="*", default=[], help="more weights files to measure beside models 1 and 2")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        _, held_out = split_holdout(list_images(args.data), 10)
    except FileNotFoundError as e:
        parser.error(str(e))
    if args.images:
        held_out = held_out[: args.images]
    if not held_out:
        parser.error(f"no held-out photos under {args.data} (every 10th image is held out)")

    candidates = {f"model {model_id}": encoder_weights(model_id) for model_id in (1, 2)}
    for path in args.weights:
        if not Path(path).is_file():
            parser.error(f"no weights file at {path}")
        candidates[Path(path).name] = Path(path)
    models = {}
    for name, path in candidates.items():
        model, meta = load_weights(path)
        per_image = np.array([transform_ceiling(model.eval(), load_rgb(p), list(LEVELS)) for p in held_out])
        models[name] = {
            "fingerprint": short_fingerprint(meta), "steps": int(meta.get("steps", 0)),
            "coded_psnr": per_image[:, :, 0].mean(axis=0).round(3).tolist(),
            "ceiling_psnr": per_image[:, :, 1].mean(axis=0).round(3).tolist()}

    meta = {**sysinfo.meta(), "images": len(held_out), "levels": LEVELS}
    lines = ["# Coded PSNR against the transforms' ceiling", "", *sysinfo.markdown_header(meta), "",
             f"{len(held_out)} held-out training photos; PSNR (dB) with the latent coded / not rounded, and the gap.", "",
             "| model | " + " | ".join(f"level {v:g}" for v in LEVELS) + " |", "|---" * (len(LEVELS) + 1) + "|"]
    for name, r in models.items():
        cells = [f"{c:.2f} / {u:.2f} ({u - c:.2f})" for c, u in zip(r["coded_psnr"], r["ceiling_psnr"])]
        lines.append(f"| {name} ({r['fingerprint']}, step {r['steps']:,}) | " + " | ".join(cells) + " |")
    sysinfo.write_results(args.out, "results", {"meta": meta, "models": models}, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
