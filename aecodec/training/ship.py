"""Copies a training run's EMA weights into the package and writes the model card.

    python -m aecodec.training.ship --run /path/to/train/out [--rd bench/results/kodak] [--holdout bench/results/holdout]

The weights go to model 1's development path (overwritten, fp16 safetensors; model 1 is the mean-scale
hyperprior this card describes, model 2's card is kept by hand), so that the repository holds one copy
and a later training session resumes from it with --init-weights. With --rd, the shipped weights'
measured BD-rates also go into the model history (one row per fingerprint), which the card shows: how
far the model has come, session after session.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import shutil
from pathlib import Path

from aecodec import models
from aecodec.container import FORMAT_VERSION
from aecodec.nn.store import read_metadata, short_fingerprint

# The model this tool ships and describes: the mean-scale hyperprior.
SHIPPED_MODEL_ID = models.model_id_of_kind("hyperprior")

HISTORY_FIELDS = ("date", "fingerprint", "steps", "train_hours", "kodak_bd_psnr", "kodak_bd_msssim",
                  "holdout_bd_psnr", "format_version")


def _aecodec_bd(results: Path | None) -> dict | None:
    path = results / "bd_rates.json" if results else None
    if not path or not path.exists():
        return None
    return json.loads(path.read_text()).get("aecodec")


def update_history(history: Path, weights: Path, rd_dir: Path, holdout_dir: Path | None) -> list[dict]:
    """Adds (or replaces) the row of these weights in the history CSV; returns all rows."""
    meta = read_metadata(weights)
    kodak = _aecodec_bd(rd_dir)
    if kodak is None:
        raise FileNotFoundError(f"no aecodec BD-rates in {rd_dir / 'bd_rates.json'}")
    holdout = _aecodec_bd(holdout_dir)
    row = {
        "date": datetime.date.today().isoformat(), "fingerprint": short_fingerprint(meta),
        "steps": meta.get("steps", ""), "train_hours": f"{float(meta.get('train_seconds', 0)) / 3600:.2f}",
        "kodak_bd_psnr": kodak["psnr"], "kodak_bd_msssim": kodak["msssim"],
        "holdout_bd_psnr": holdout["psnr"] if holdout else "", "format_version": FORMAT_VERSION,
    }
    rows = []
    if history.exists():
        with open(history, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["fingerprint"] != row["fingerprint"]]
    rows.append({k: str(v) for k, v in row.items()})
    with open(history, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HISTORY_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _history_table(history: Path) -> list[str]:
    with open(history, newline="") as f:
        rows = list(csv.DictReader(f))
    lines = ["| date | steps | training h | Kodak BD-rate PSNR | MS-SSIM | held-out PSNR | format |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        holdout = f"{float(r['holdout_bd_psnr']):+.1f} %" if r["holdout_bd_psnr"] else "-"
        lines.append(f"| {r['date']} | {r['steps']} | {r['train_hours']} | {float(r['kodak_bd_psnr']):+.1f} % | "
                     f"{float(r['kodak_bd_msssim']):+.1f} % | {holdout} | {r['format_version']} |")
    return lines


def _last_eval(run: Path) -> dict | None:
    log = run / "train_log.jsonl"
    if not log.exists():
        return None
    evals = [json.loads(line) for line in log.read_text().splitlines() if '"eval"' in line]
    return evals[-1] if evals else None


def write_model_card(weights: Path, run: Path | None, rd_dir: Path | None, history: Path | None = None) -> str:
    meta = read_metadata(weights)
    config = json.loads(meta["config"])
    hours = float(meta.get("train_seconds", 0)) / 3600
    lines = [
        f"# Model card: {models.entry(SHIPPED_MODEL_ID).name} (model id {SHIPPED_MODEL_ID})",
        "",
        "Mean-scale hyperprior (Balle 2018 / Minnen 2018 without context model) with GDN transforms and",
        "per-quality gain units (Cui 2021): one model for the whole quality range.",
        "",
        f"- Architecture: N={config['n']}, M={config['m']}; four stride-2 5x5 convolutions with GDN in each transform;",
        f"  {len(config['lambdas'])} gain levels at lambda = {', '.join(str(v) for v in config['lambdas'])}",
        "  (loss lambda * 255^2 * MSE + bpp, lambda and gains interpolated geometrically per sample).",
        "- Data: the 227 training photographs of ../shared/data/train (Wikimedia, Urban100, BSD68, Sun-Hays),"
        " every 10th held out (--holdout-every); never Kodak.",
        f"- Training: {meta.get('steps', '?')} steps, {hours:.2f} h of training time in all, Adam, EMA weights;"
        f" the last run: batch {meta.get('batch', '?')} x {meta.get('patch', '?')}^2 patches on {meta.get('device', '?')}"
        f" ({meta.get('precision', '?')}). The runs before it: docs/TRAINING.md.",
        f"- Weights: fp16 safetensors, fingerprint `{short_fingerprint(meta)}` (first 8 bytes go into every .aec file).",
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
    if history and history.exists():
        lines += ["", f"Shipped weights so far (BD-rate against Pillow JPEG, real files; {history.name}):", "",
                  *_history_table(history)]
    card = "\n".join(lines) + "\n"
    (weights.parent / "MODEL_CARD.md").write_text(card)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="training output folder (holds weights.safetensors)")
    parser.add_argument("--rd", default="", help="benchmark results folder with bd_rates.md (Kodak)")
    parser.add_argument("--holdout", default="bench/results/holdout", help="held-out photos' results folder")
    parser.add_argument("--no-copy", action="store_true", help="keep the package's weights (card and history only)")
    args = parser.parse_args(argv)
    run = Path(args.run)
    target = models.entry(SHIPPED_MODEL_ID).path
    target.parent.mkdir(parents=True, exist_ok=True)
    if not args.no_copy:
        shutil.copyfile(run / "weights.safetensors", target)
    history = target.parent / "history.csv"
    rd_dir = Path(args.rd) if args.rd else None
    if rd_dir:
        update_history(history, target, rd_dir, Path(args.holdout) if args.holdout else None)
    print(write_model_card(target, run, rd_dir, history))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
