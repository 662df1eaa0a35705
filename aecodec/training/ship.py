"""Copies a training run's EMA weights into the package and writes the model card.

    python -m aecodec.training.ship --run /path/to/train/out [--rd bench/results/kodak]

The weights go to the fixed path of the default model (overwritten, fp16 safetensors), so that the
repository holds one copy and a later training session resumes from it with --init-weights.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
from pathlib import Path

from aecodec import models
from aecodec.nn.store import read_metadata


def _last_eval(run: Path) -> dict | None:
    log = run / "train_log.jsonl"
    if not log.exists():
        return None
    evals = [json.loads(line) for line in log.read_text().splitlines() if '"eval"' in line]
    return evals[-1] if evals else None


def write_model_card(weights: Path, run: Path | None, rd_dir: Path | None) -> str:
    meta = read_metadata(weights)
    config = json.loads(meta["config"])
    hours = float(meta.get("train_seconds", 0)) / 3600
    lines = [
        f"# Model card: {models.REGISTRY[models.DEFAULT_MODEL_ID].name} (model id {models.DEFAULT_MODEL_ID})",
        "",
        "Mean-scale hyperprior (Balle 2018 / Minnen 2018 without context model) with GDN transforms and",
        "per-quality gain units (Cui 2021): one model for the whole quality range.",
        "",
        f"- Architecture: N={config['n']}, M={config['m']}; four stride-2 5x5 convolutions with GDN in each transform;",
        f"  {len(config['lambdas'])} gain levels at lambda = {', '.join(str(v) for v in config['lambdas'])}",
        "  (loss lambda * 255^2 * MSE + bpp, lambda and gains interpolated geometrically per sample).",
        "- Data: the 227 training photographs of ../shared/data/train (Wikimedia, Urban100, BSD68, Sun-Hays),"
        " every 10th held out (--holdout-every); never Kodak.",
        f"- Training: {meta.get('steps', '?')} steps of batch {meta.get('batch', '?')} x {meta.get('patch', '?')}^2 patches, "
        f"{hours:.2f} h of training time on {meta.get('device', '?')} ({meta.get('precision', '?')}), Adam, EMA weights.",
        f"- Weights: fp16 safetensors, fingerprint `{meta['fingerprint'][:16]}` (first 8 bytes go into every .aec file).",
        f"- Card written {datetime.date.today().isoformat()}.",
    ]
    evaluation = _last_eval(run) if run else None
    if evaluation:
        lines += ["", f"Kodak, rate estimated from the likelihoods, at step {evaluation['step']}:", "",
                  "| level | bpp | PSNR (dB) |", "|---|---|---|"]
        lines += [f"| {r['level']} | {r['bpp']:.3f} | {r['psnr']:.2f} |" for r in evaluation["rd"]]
    bd = rd_dir / "bd_rates.md" if rd_dir else None
    if bd and bd.exists():
        lines += ["", "Measured on Kodak through aecodec.encode/decode (real files), BD-rate against Pillow JPEG:", "",
                  bd.read_text().strip()]
    card = "\n".join(lines) + "\n"
    (weights.parent / "MODEL_CARD.md").write_text(card)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="training output folder (holds weights.safetensors)")
    parser.add_argument("--rd", default="", help="benchmark results folder with bd_rates.md")
    args = parser.parse_args(argv)
    run = Path(args.run)
    target = models.entry(models.DEFAULT_MODEL_ID).path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run / "weights.safetensors", target)
    print(write_model_card(target, run, Path(args.rd) if args.rd else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
