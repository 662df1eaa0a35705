"""Training arms side by side at equal CPU time: model 2 (context) against a plain model-1 arm.

    python -m bench.arms --runs /work/runs/m2 /work/runs/m1plain [--cpu-seconds S] [--images N]

Each run folder is an ``aecodec train --keep-snapshots`` output; for each run the snapshot whose
training CPU time is nearest the target (default: the least CPU time any run has reached) is evaluated
on the photos that training holds out (never Kodak: comparing recipes is tuning), with the rate
estimated from the likelihoods at hard quantization. Each arm gets a BD-rate against the shipped model 1
evaluated the same way. Writes bench/results/arms/results.json and results.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from aecodec.nn.store import load_weights, read_metadata, short_fingerprint
from aecodec.releases import encoder_weights
from aecodec.training.data import list_images, split_holdout
from aecodec.training.evaluate import evaluate_images
from bench import sysinfo
from bench.bdrate import bd_rate
from bench.paths import RESULTS_DIR, SHARED

LEVELS = (0.0, 1.5, 3.0, 4.5, 6.0, 7.5, 9.0)


def snapshots(run: Path) -> list[tuple[float, Path]]:
    """(training CPU seconds, path) of a run's snapshots, oldest first."""
    found = []
    for path in sorted((run / "snapshots").glob("weights-*.safetensors")):
        meta = read_metadata(path)
        found.append((float(meta.get("train_cpu_seconds", "nan")), path))
    return found


def curve(path: Path, images: list[Path]) -> dict:
    model, meta = load_weights(path)
    points = evaluate_images(model, images, list(LEVELS))
    return {"weights": str(path), "fingerprint": short_fingerprint(meta), "steps": int(meta.get("steps", 0)),
            "cpu_seconds": float(meta.get("train_cpu_seconds", 0.0)),
            "bpp": [p["bpp"] for p in points], "psnr": [p["psnr"] for p in points]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", type=Path, required=True)
    parser.add_argument("--cpu-seconds", type=float, default=0.0, help="target training CPU time (0: common)")
    parser.add_argument("--images", type=int, default=0, help="evaluate only the first N held-out photos")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "arms")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    _, held_out = split_holdout(list_images(SHARED / "data" / "train"), 10)
    if args.images:
        held_out = held_out[: args.images]
    found = {run: snapshots(run) for run in args.runs}
    for run, snaps in found.items():
        if not snaps:
            parser.error(f"{run} has no snapshots (train with --keep-snapshots)")
    target = args.cpu_seconds or min(snaps[-1][0] for snaps in found.values())
    chosen = {run: min(snaps, key=lambda s: abs(s[0] - target))[1] for run, snaps in found.items()}

    reference = curve(encoder_weights(1), held_out)
    arms = {}
    for run, path in chosen.items():
        result = curve(path, held_out)
        result["bd_rate_vs_model1"] = bd_rate(reference["bpp"], reference["psnr"], result["bpp"], result["psnr"])
        arms[run.name] = result
        print(f"{run.name}: step {result['steps']}, {result['cpu_seconds'] / 3600:.2f} CPU h, "
              f"BD-rate vs shipped model 1 {result['bd_rate_vs_model1']:+.2f} %", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    meta = {**sysinfo.meta(), "images": len(held_out), "levels": LEVELS, "target_cpu_seconds": target}
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "reference": reference, "arms": arms}, indent=1))
    lines = [f"# Training arms at equal CPU time ({target / 3600:.2f} h target)", "",
             f"{len(held_out)} held-out training photos, rate estimated from the likelihoods, levels {LEVELS}; "
             f"BD-rate (PSNR) against the shipped model 1 ({reference['fingerprint']}) evaluated the same way.", "",
             "| arm | steps | training CPU h | BD-rate vs model 1 |", "|---|---|---|---|"]
    for name, r in arms.items():
        lines.append(f"| {name} | {r['steps']} | {r['cpu_seconds'] / 3600:.2f} | {r['bd_rate_vs_model1']:+.2f} % |")
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
