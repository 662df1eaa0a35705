"""Training recipes side by side: quality reached per CPU time, from short runs on this machine.

    python -m tools.recipes [--minutes 15] [--only base,lr1e-3] [--parallel 2] [--runs DIR]

Each recipe trains from scratch for the same training time on one thread pinned to its own core
(``--parallel`` runs at once, so stop other heavy jobs first), then its weights and their EMA are
evaluated on the photos that training holds out (never Kodak: choosing a recipe is tuning). The rate
is estimated from the likelihoods; BD-rate is against Pillow JPEG's real files on the same photos,
taken from bench/results/holdout/rd_curves.csv (run ``python -m bench.holdout`` first).
Writes bench/results/recipes/results.json and results.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import sysinfo
from bench.bdrate import bd_rate
from bench.paths import REPO_ROOT, RESULTS_DIR, resolve

TRAIN_DIR = "../shared/data/train"
HOLDOUT_CURVES = RESULTS_DIR / "holdout" / "rd_curves.csv"
LEVELS = [0.0, 1.75, 3.5, 5.25, 7.0]

# name -> (what it changes, TrainOptions overrides). "base" is the recipe the main run uses.
RECIPES: dict[str, tuple[str, dict]] = {
    "base": ("N=128, M=192, Adam 3e-4, 500-step warm-up, batch 16 of 128x128", {}),
    "lr1e-4": ("learning rate 1e-4", {"lr": 1e-4}),
    "lr1e-3": ("learning rate 1e-3", {"lr": 1e-3}),
    "narrow": ("N=96, M=128", {"n": 96, "m": 128}),
    "patch256": ("batch 4 of 256x256 (same pixels per step)", {"patch": 256, "batch": 4}),
    "patch64": ("batch 64 of 64x64 (same pixels per step)", {"patch": 64, "batch": 64}),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=15.0, help="training time per recipe")
    p.add_argument("--only", default="", help="comma-separated recipe names (default: all)")
    p.add_argument("--parallel", type=int, default=2, help="recipes trained at once, one core each")
    p.add_argument("--runs", default="/tmp/aecodec-recipes", help="folder for the runs (outside the repo)")
    p.add_argument("--out", default=str(RESULTS_DIR / "recipes"))
    p.add_argument("--worker", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def holdout_paths() -> list[Path]:
    from aecodec.training.data import list_images, split_holdout

    return split_holdout(list_images(resolve(TRAIN_DIR)), 10)[1]


def jpeg_curve() -> tuple[list[float], list[float]]:
    if not HOLDOUT_CURVES.exists():
        raise SystemExit(f"{HOLDOUT_CURVES} is missing: run `python -m bench.holdout --codecs jpeg` first")
    with open(HOLDOUT_CURVES) as f:
        rows = [r for r in csv.DictReader(f) if r["codec"] == "jpeg"]
    return [float(r["bpp"]) for r in rows], [float(r["psnr"]) for r in rows]


def run_worker(name: str, args: argparse.Namespace) -> None:
    """Train one recipe, then evaluate its raw and EMA weights; writes RUNS/name/result.json."""
    import torch

    from aecodec.nn.model import HyperpriorModel, ModelConfig
    from aecodec.training.evaluate import evaluate_images
    from aecodec.training.options import TrainOptions
    from aecodec.training.trainer import Trainer

    out = Path(args.runs) / name
    options = TrainOptions(data=str(resolve(TRAIN_DIR)), out=str(out), minutes=args.minutes, threads=1,
                           checkpoint_every_min=1e9, **RECIPES[name][1])
    trainer = Trainer(options)
    trainer.run()
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)
    jpeg_bpp, jpeg_psnr = jpeg_curve()
    result = {"name": name, "change": RECIPES[name][0], "steps": state["step"],
              "train_s": round(state["elapsed"], 1), "s_per_step": round(state["elapsed"] / state["step"], 3)}
    for which in ("ema", "model"):
        model = HyperpriorModel(ModelConfig(n=options.n, m=options.m))
        model.load_state_dict(state[which])
        points = evaluate_images(model.eval(), holdout_paths(), LEVELS)
        result[which] = {"rd": points, "bd_rate_vs_jpeg": bd_rate(
            jpeg_bpp, jpeg_psnr, [p["bpp"] for p in points], [p["psnr"] for p in points])}
    (out / "result.json").write_text(json.dumps(result, indent=1))


def launch(name: str, core: int, args: argparse.Namespace) -> subprocess.Popen:
    log = open(Path(args.runs) / f"{name}.log", "w")
    command = [sys.executable, "-m", "tools.recipes", "--worker", name, "--minutes", str(args.minutes), "--runs", args.runs]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(core), *command]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT)


def markdown(results: list[dict], minutes: float, meta: dict) -> str:
    lines = [
        f"# Training recipes side by side ({minutes:g} min of training each, from scratch)",
        "",
        f"{meta['machine']['cpu'].get('model_name', '')}, one thread per run pinned to its own core, {meta['date']}.",
        f"Evaluated on the {len(holdout_paths())} photos held out of training; rate estimated from the "
        "likelihoods; BD-rate (PSNR) against Pillow JPEG's real files on the same photos. Lower is better.",
        "",
        "| recipe | change | steps | s/step | BD-rate EMA | BD-rate raw | EMA bpp / dB at levels 0, 3.5, 7 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: r["ema"]["bd_rate_vs_jpeg"]):
        rd = {p["level"]: p for p in r["ema"]["rd"]}
        points = ", ".join(f"{rd[lv]['bpp']:.3f} / {rd[lv]['psnr']:.2f}" for lv in (0.0, 3.5, 7.0))
        lines.append(f"| {r['name']} | {r['change']} | {r['steps']} | {r['s_per_step']:.2f} | "
                     f"{r['ema']['bd_rate_vs_jpeg']:+.1f}% | {r['model']['bd_rate_vs_jpeg']:+.1f}% | {points} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        run_worker(args.worker, args)
        return 0
    jpeg_curve()  # fail before hours of training, not after
    names = [n for n in args.only.split(",") if n] or list(RECIPES)
    unknown = set(names) - set(RECIPES)
    if unknown:
        raise SystemExit(f"unknown recipes: {', '.join(sorted(unknown))}; known: {', '.join(RECIPES)}")
    Path(args.runs).mkdir(parents=True, exist_ok=True)
    cores = max(1, min(args.parallel, os.cpu_count() or 1))
    pending, running = list(names), {}
    while pending or running:
        while pending and len(running) < cores:
            core = next(c for c in range(cores) if c not in running.values())
            name = pending.pop(0)
            running[launch(name, core, args)] = core
            print(f"training {name} on core {core}", flush=True)
        for proc in [p for p in running if p.poll() is not None]:
            del running[proc]
            if proc.returncode:
                raise SystemExit(f"a recipe failed (exit {proc.returncode}); see the logs in {args.runs}")
        time.sleep(5)
    results = [json.loads((Path(args.runs) / n / "result.json").read_text()) for n in names]
    out = resolve(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = out / "results.json"
    if previous.exists():  # keep recipes measured in earlier invocations
        kept = [r for r in json.loads(previous.read_text())["results"] if r["name"] not in names]
        results = kept + results
    meta = sysinfo.meta()
    (out / "results.json").write_text(json.dumps({"meta": meta, "minutes": args.minutes, "results": results},
                                                 indent=1))
    table = markdown(results, args.minutes, meta)
    (out / "results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
