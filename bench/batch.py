"""Batch throughput: ``aecodec encode DIR -d OUT`` serially and with ``--jobs N`` (Dask LocalCluster).

    python bench/batch.py [--images DIR] [--copies 3] [--jobs 2] [--quality 75] [--repeat 1]

Copies the images ``--copies`` times into a temporary folder (72 files from the 24 Kodak images) and
runs the command line on it as users do, in a fresh process each time: serially (torch's threads on
all cores) and with ``--jobs N``. For each run it measures
- the total wall time, interpreter, model loading and cluster start-up and shutdown included;
- the steady-state throughput, from the output files' completion times (their mtimes): files per
  second between the k-th and the last completion, k being the number of workers (1 serially), so
  that the first file of each worker, which loads the model, is left out;
and checks that both runs wrote identical bytes. The bar (issue 25): with --jobs 2 on a 2-core
machine, steady state >= 1.3x the serial images/s and less total wall time.
Writes bench/results/batch/batch.json and batch.md (or --out).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import sysinfo
from bench.paths import KODAK_DIR, RESULTS_DIR, list_images, resolve

STEADY_SPEEDUP_BAR = 1.3  # --jobs N steady-state images/s over the serial command's


def copy_inputs(images: list[Path], copies: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    out = []
    for c in range(copies):
        for image in images:
            out.append(folder / f"{image.stem}-{c}{image.suffix}")
            shutil.copyfile(image, out[-1])
    return out


def run_cli(inputs: Path, out: Path, quality: float, jobs: int) -> dict:
    """One ``aecodec encode`` run in a fresh process: wall time and per-file completion times."""
    inputs, out = inputs.resolve(), out.resolve()
    command = [sys.executable, "-m", "aecodec", "encode", str(inputs), "-d", str(out), "-q", str(quality)]
    if jobs:
        command += ["--jobs", str(jobs)]
    started = time.time()
    # Run from the temporary folder: in a checkout, `-m aecodec` would import its sources, not the install.
    result = subprocess.run(command, capture_output=True, text=True, cwd=inputs.parent)
    wall = time.time() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    done = sorted(p.stat().st_mtime_ns / 1e9 - started for p in out.iterdir())
    workers = max(jobs, 1)
    steady = (len(done) - workers) / (done[-1] - done[workers - 1]) if len(done) > workers else None
    shown = ["aecodec", "encode", "IN", "-d", "OUT", *command[7:]]  # the temporary folders' names vary
    return {"command": " ".join(shown), "jobs": jobs, "files": len(done),
            "wall_s": round(wall, 3), "first_file_s": round(done[0], 3), "last_file_s": round(done[-1], 3),
            "after_last_file_s": round(wall - done[-1], 3),
            "steady_images_per_s": round(steady, 4) if steady else None,
            "completion_s": [round(t, 4) for t in done]}


def same_bytes(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(
        (a / n).read_bytes() == (b / n).read_bytes() for n in names)


def summarize(rounds: list[dict]) -> dict:
    def median(kind: str, key: str) -> float | None:
        values = [r[kind][key] for r in rounds]
        return None if None in values else statistics.median(values)

    serial_rate, jobs_rate = median("serial", "steady_images_per_s"), median("jobs", "steady_images_per_s")
    serial_wall, jobs_wall = median("serial", "wall_s"), median("jobs", "wall_s")
    measured = serial_rate is not None and jobs_rate is not None  # needs more files than workers
    return {"serial_steady_images_per_s": serial_rate, "jobs_steady_images_per_s": jobs_rate,
            "steady_speedup": round(jobs_rate / serial_rate, 3) if measured else None,
            "serial_wall_s": serial_wall, "jobs_wall_s": jobs_wall, "wall_ratio": round(jobs_wall / serial_wall, 3),
            "steady_bar_met": jobs_rate >= STEADY_SPEEDUP_BAR * serial_rate if measured else None,
            "wall_bar_met": jobs_wall < serial_wall,
            "identical_bytes": all(r["identical_bytes"] for r in rounds)}


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def markdown(result: dict) -> str:
    m, s = result["meta"], result["summary"]
    lines = ["# aecodec batch encoding: serial vs --jobs (Dask LocalCluster)", "",
             *sysinfo.markdown_header(m),
             f"- inputs: {result['n_files']} files ({result['n_images']} images of {result['images']} "
             f"x{result['copies']}), quality {result['quality']}, {len(result['rounds'])} round(s), medians below",
             "", "| run | files | wall (s) | first file (s) | last file (s) | after last file (s) "
             "| steady images/s |", "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(result["rounds"]):
        for kind in ("serial", "jobs"):
            run = r[kind]
            lines.append(f"| `{run['command']}` (round {i + 1}) | {run['files']} | {run['wall_s']:.2f} "
                         f"| {run['first_file_s']:.2f} | {run['last_file_s']:.2f} | {run['after_last_file_s']:.2f} "
                         f"| {_rate(run['steady_images_per_s'])} |")
    lines += ["",
              f"Steady state: --jobs {result['jobs']} {_rate(s['jobs_steady_images_per_s'])} images/s vs serial "
              f"{_rate(s['serial_steady_images_per_s'])}: **{s['steady_speedup']}x** (bar >= {STEADY_SPEEDUP_BAR}x: "
              + {True: "met", False: "**not met**", None: "not measured: too few files"}[s["steady_bar_met"]] + ")",
              f"Total wall time: --jobs {result['jobs']} {s['jobs_wall_s']:.2f} s vs serial {s['serial_wall_s']:.2f} s "
              f"(ratio {s['wall_ratio']:.2f}; bar < 1: " + ("met" if s["wall_bar_met"] else "**not met**") + ")",
              "Output bytes identical between the runs: " + ("yes" if s["identical_bytes"] else "**NO**"), "",
              "Steady state: files per second between the k-th and the last output file's mtime (k = workers, "
              "1 serially), leaving out each worker's first file (model loading). Wall time: the whole "
              "command in a fresh process (interpreter, imports, cluster start-up and shutdown)."]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/batch.py", description=__doc__.split("\n")[0])
    p.add_argument("--images", default=str(KODAK_DIR), help="folder of images (default Kodak)")
    p.add_argument("--max-images", type=int, default=0, help="use only the first N images (quick check)")
    p.add_argument("--copies", type=int, default=3, help="copies of each image (default 3: 72 Kodak files)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes of the parallel run (default 2)")
    p.add_argument("--quality", type=float, default=75.0)
    p.add_argument("--repeat", type=int, default=1, help="rounds of (serial, --jobs) runs; medians reported")
    p.add_argument("--workdir", default=None, help="folder for the temporary copies (default: system temp)")
    p.add_argument("--out", default=str(RESULTS_DIR / "batch"), help="folder for batch.json and batch.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    images_dir = resolve(args.images)
    images = list_images(images_dir)[: args.max_images or None]
    if not images:
        print(f"[batch] no images in {images_dir}", file=sys.stderr)
        return 2
    rounds = []
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="aecodec-batch-") as tmp:
        inputs = Path(tmp) / "in"
        files = copy_inputs(images, args.copies, inputs)
        for i in range(args.repeat):
            outs = {kind: Path(tmp) / f"{kind}-{i}" for kind in ("serial", "jobs")}
            order = ("serial", "jobs") if i % 2 == 0 else ("jobs", "serial")  # alternate: no order bias
            print(f"[batch] round {i + 1}: {' then '.join(order)} (--jobs {args.jobs}), {len(files)} files",
                  file=sys.stderr)
            runs = {kind: run_cli(inputs, outs[kind], args.quality, args.jobs if kind == "jobs" else 0)
                    for kind in order}
            rounds.append({**runs, "identical_bytes": same_bytes(outs["serial"], outs["jobs"])})
            for kind in outs:
                shutil.rmtree(outs[kind])
    import dask
    import distributed

    result = {"meta": sysinfo.meta({"dask": dask.__version__, "distributed": distributed.__version__}),
              "images": str(images_dir), "n_images": len(images), "copies": args.copies, "n_files": len(files),
              "quality": args.quality, "jobs": args.jobs, "summary": summarize(rounds), "rounds": rounds}
    sysinfo.write_results(resolve(args.out), "batch", result, markdown(result))
    return 0 if result["summary"]["identical_bytes"] else 1


if __name__ == "__main__":
    sys.exit(main())
