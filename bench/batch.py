"""Batch throughput: ``aecodec encode DIR -d OUT`` serially and with ``--jobs N`` (Dask LocalCluster).

    python -m bench.batch [--images DIR] [--copies 3] [--jobs 2] [--quality 75] [--repeat 1] [--append]
    python -m bench.batch --stages [--reps 8]

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

``--stages`` explains those figures instead: one image coded repeatedly (after warm-up) in a fresh plain
process with torch on 1 and on 2 threads (the serial command's setting), and in single-thread Dask
workers, alone and two at once, as Dask starts them and as ``--jobs`` does; per stage, the median time
and the page faults of one encode. Writes stages.json and stages.md.
"""

from __future__ import annotations

import argparse
import os
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
    others, training = sysinfo.other_processes(), bool(sysinfo.training_running())
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
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)), "training_running": training,
            "others_cpu_share": round(sum(p["cpu_share"] for p in others), 2), "others": others,
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


BUSY_CPU_SHARE = 0.25  # other processes' CPU use above which the figures do not describe a quiet machine


def _busy_caution(rounds: list[dict]) -> list[str]:
    shares = [r[kind].get("others_cpu_share", 0.0) for r in rounds for kind in ("serial", "jobs")]
    if statistics.median(shares) < BUSY_CPU_SHARE:
        return []
    return [f"**Caution: not a quiet machine.** Other processes used {statistics.median(shares):.2f} CPU (median, "
            "sampled just before each run). A busy core slows the serial command's two torch threads (each "
            "parallel step waits for the slower one) more than it slows independent single-thread workers, so "
            "this ratio overstates what --jobs gains on an idle machine.", ""]


def markdown(result: dict) -> str:
    m, s = result["meta"], result["summary"]
    lines = ["# aecodec batch encoding: serial vs --jobs (Dask LocalCluster)", "",
             *sysinfo.markdown_header(m),
             f"- inputs: {result['n_files']} files ({result['n_images']} images of {result['images']} "
             f"x{result['copies']}), quality {result['quality']}, {len(result['rounds'])} round(s), medians below",
             "", "| run | files | wall (s) | first file (s) | last file (s) | after last file (s) "
             "| steady images/s | other processes' CPU just before |", "|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(result["rounds"]):
        for kind in ("serial", "jobs"):
            run = r[kind]
            lines.append(f"| `{run['command']}` (round {i + 1}) | {run['files']} | {run['wall_s']:.2f} "
                         f"| {run['first_file_s']:.2f} | {run['last_file_s']:.2f} | {run['after_last_file_s']:.2f} "
                         f"| {_rate(run['steady_images_per_s'])} | {sysinfo.others_summary(run.get('others', []))} |")
    lines += ["",
              f"Steady state: --jobs {result['jobs']} {_rate(s['jobs_steady_images_per_s'])} images/s vs serial "
              f"{_rate(s['serial_steady_images_per_s'])}: **{s['steady_speedup']}x** (bar >= {STEADY_SPEEDUP_BAR}x: "
              + {True: "met", False: "**not met**", None: "not measured: too few files"}[s["steady_bar_met"]] + ")",
              f"Total wall time: --jobs {result['jobs']} {s['jobs_wall_s']:.2f} s vs serial {s['serial_wall_s']:.2f} s "
              f"(ratio {s['wall_ratio']:.2f}; bar < 1: " + ("met" if s["wall_bar_met"] else "**not met**") + ")",
              "Output bytes identical between the runs: " + ("yes" if s["identical_bytes"] else "**NO**"), "",
              *_busy_caution(result["rounds"]),
              "Steady state: files per second between the k-th and the last output file's mtime (k = workers, "
              "1 serially), leaving out each worker's first file (model loading). Wall time: the whole "
              "command in a fresh process (interpreter, imports, cluster start-up and shutdown)."]
    return "\n".join(lines) + "\n"


# ----- per-stage profile (--stages) ----------------------------------------------------------------

ALLOCATOR_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
STAGES = ("read+decode_png", "analysis", "hyper_analysis", "hyper_synthesis_fp64+snap", "entropy_coding",
          "encode", "write+header", "file")


def profile_stages(image: str, quality: float, threads: int, reps: int, warmup: int = 3) -> dict:
    """Median ms per stage of coding ``image`` ``reps`` times in this process, after ``warmup`` runs.

    The stages are the encoder's steps as the command line runs them; "encode" is the whole
    ``Codec.encode`` call, "file" adds reading, writing (atomically) and the summary's header read.
    """
    import resource
    import time

    import torch

    from aecodec.api import Codec
    from aecodec.container import stored_quality
    from aecodec.runtime import torch_threads
    from aecodec.fileinfo import info
    from aecodec.imageio import to_planar
    from aecodec.outputs import write_atomically

    codec, clock = Codec(threads=threads), time.perf_counter
    engine = codec.engine
    target = Path(tempfile.mkdtemp(prefix="aecodec-stages-")) / "out.aec"
    rows = []
    for rep in range(warmup + reps):
        row = {}
        started = clock()
        planar = to_planar(Path(image).read_bytes())
        row["read+decode_png"] = clock() - started
        with torch_threads(threads):
            t = clock()
            y = engine.analyze(planar.rgb, stored_quality(quality))
            row["analysis"] = clock() - t
            t = clock()
            z_hat = engine.hyper_latent(y * engine.gains(stored_quality(quality))[0])
            row["hyper_analysis"] = clock() - t
            t = clock()
            engine._entropy_parameters(z_hat)
            row["hyper_synthesis_fp64+snap"] = clock() - t
            in_effect = torch.get_num_threads()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t = clock()
        data = codec.encode(Path(image).read_bytes(), quality=quality)
        row["encode"] = clock() - t
        row["page_faults"] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        row["entropy_coding"] = codec.last_timings["entropy_s"]
        t = clock()
        write_atomically(target, data, force=True)
        info(data)
        row["write+header"] = clock() - t
        row["file"] = row["read+decode_png"] + row["encode"] + row["write+header"]
        if rep >= warmup:
            rows.append(row)
    target.unlink()
    target.parent.rmdir()
    out = {k: round(1000 * statistics.median(r[k] for r in rows), 1) for k in STAGES}
    out["page_faults_per_encode"] = int(statistics.median(r["page_faults"] for r in rows))
    out["torch_threads"] = in_effect
    out["precision"] = engine.precision
    out["environ"] = {k: os.environ[k] for k in ALLOCATOR_VARIABLES if k in os.environ}
    return out


class _Environ:
    """Sets (or, for None, removes) environment variables for the block and restores them after: Dask's
    nanny writes its worker variables into this process's environment too."""

    def __init__(self, values: dict[str, str | None]):
        self.values, self.saved = values, None

    def __enter__(self):
        self.saved = dict(os.environ)
        for k, v in self.values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)


def profile_in_process(threads: int, *call, environ: dict | None = None) -> dict:
    """``profile_stages`` in a fresh plain process, started with the environment of a plain shell here
    plus ``environ``."""
    import multiprocessing

    with _Environ({**{k: None for k in ALLOCATOR_VARIABLES}, **(environ or {})}):
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            return pool.apply(profile_stages, (*call[:2], threads, *call[2:]))


def profile_on_workers(workers: int, as_jobs: bool, *call) -> list[dict]:
    """``profile_stages`` on ``workers`` single-thread Dask workers at once: started as ``--jobs`` starts
    them (``as_jobs``), else as a plain ``LocalCluster`` does."""
    import logging

    import distributed

    from aecodec.batch import local_cluster

    with _Environ({k: None for k in ALLOCATOR_VARIABLES}):
        cluster = (local_cluster(distributed, workers) if as_jobs else distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.CRITICAL))
        with cluster, distributed.Client(cluster) as client:
            client.wait_for_workers(workers)
            futures = [client.submit(profile_stages, *call[:2], 1, *call[2:], workers=[address], pure=False)
                       for address in sorted(client.scheduler_info()["workers"])]
            return client.gather(futures)


def stages_markdown(result: dict) -> str:
    lines = ["# aecodec batch encoding: where the time of one image goes", "",
             *sysinfo.markdown_header(result["meta"]),
             f"- image: {result['image']}, quality {result['quality']}, {result['reps']} encodes after "
             f"{result['warmup']} warm-up, medians (ms); page faults: minor faults of one encode", "",
             "| process | " + " | ".join(STAGES) + " | page faults | allocator/threads environment "
             "| other processes' CPU just before |", "|---|" + "---|" * (len(STAGES) + 3)]
    for run in result["runs"]:
        for i, r in enumerate(run["workers"]):
            name = run["name"] + (f" (worker {i + 1})" if len(run["workers"]) > 1 else "")
            env = ", ".join(f"{k}={v}" for k, v in r["environ"].items()) or "none set"
            lines.append(f"| {name} | " + " | ".join(f"{r[k]:.1f}" for k in STAGES)
                         + f" | {r['page_faults_per_encode']} | {env} | {sysinfo.others_summary(run['others'])} |")
    lines += ["", "Images/s this implies for a busy machine (1000 / file ms, summed over the workers running at once):", ""]
    rates = {run["name"]: sum(1000 / r["file"] for r in run["workers"]) for run in result["runs"]}
    lines += [f"- {name}: {rate:.2f} images/s" for name, rate in rates.items()]
    serial, jobs = (next(rate for name, rate in rates.items() if key in name)
                    for key in ("(the serial command)", "2 Dask workers at once as --jobs"))
    lines += ["", f"Two --jobs workers over the serial command: {jobs / serial:.2f}x (the batch bench's bar: "
              f">= {STEADY_SPEEDUP_BAR}x, measured there on whole runs)"]
    busy = statistics.median(sum(p["cpu_share"] for p in run["others"]) for run in result["runs"])
    if busy >= BUSY_CPU_SHARE:
        lines += ["", f"**Caution: not a quiet machine.** Other processes used {busy:.2f} CPU (median, sampled "
                  "before each row). A single single-thread process can still find a free core; the 2-thread "
                  "and two-worker rows cannot, so they are slowed, the 2-thread row most (its threads wait "
                  "for each other), and the ratio above overstates an idle machine's."]
    return "\n".join(lines) + "\n"


def run_stages(args: argparse.Namespace, image: Path) -> int:
    from aecodec.batch import WORKER_ALLOCATOR_ENVIRON

    call = (str(image), args.quality, args.reps)
    runs = [("plain process, torch 1 thread", lambda: [profile_in_process(1, *call)]),
            ("plain process, torch 2 threads (the serial command)", lambda: [profile_in_process(2, *call)]),
            ("plain process, torch 2 threads, with --jobs' allocator settings (not what the serial command does)",
             lambda: [profile_in_process(2, *call, environ={k: str(v) for k, v in WORKER_ALLOCATOR_ENVIRON.items()})]),
            ("1 Dask worker as LocalCluster starts it", lambda: profile_on_workers(1, False, *call)),
            ("1 Dask worker as --jobs starts it", lambda: profile_on_workers(1, True, *call)),
            ("2 Dask workers at once as LocalCluster starts them", lambda: profile_on_workers(2, False, *call)),
            ("2 Dask workers at once as --jobs starts them", lambda: profile_on_workers(2, True, *call))]
    result = {"meta": sysinfo.meta(), "image": str(image), "quality": args.quality, "reps": args.reps,
              "warmup": 3, "runs": []}
    for name, run in runs:
        print(f"[batch] stages: {name}", file=sys.stderr)
        others = sysinfo.other_processes()
        result["runs"].append({"name": name, "others": others, "workers": run()})
    sysinfo.write_results(resolve(args.out), "stages", result, stages_markdown(result))
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__.split("\n")[0])
    p.add_argument("--images", default=str(KODAK_DIR), help="folder of images (default Kodak)")
    p.add_argument("--max-images", type=int, default=0, help="use only the first N images (quick check)")
    p.add_argument("--copies", type=int, default=3, help="copies of each image (default 3: 72 Kodak files)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes of the parallel run (default 2)")
    p.add_argument("--quality", type=float, default=75.0)
    p.add_argument("--repeat", type=int, default=1, help="rounds of (serial, --jobs) runs; medians reported")
    p.add_argument("--append", action="store_true",
                   help="keep the rounds of the results file already in --out (same settings): rounds taken at "
                        "different times, e.g. whenever the machine is quiet")
    p.add_argument("--workdir", default=None, help="folder for the temporary copies (default: system temp)")
    p.add_argument("--out", default=str(RESULTS_DIR / "batch"), help="folder for batch.json and batch.md")
    p.add_argument("--stages", action="store_true", help="profile the stages of one image instead (stages.md)")
    p.add_argument("--reps", type=int, default=8, help="--stages: timed encodes per process (default 8)")
    return p.parse_args(argv)


def _earlier_rounds(path: Path, settings: dict) -> list[dict]:
    """The rounds of an earlier results file with the same settings (--append), else none."""
    import json

    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if any(earlier.get(k) != v for k, v in settings.items()):
        print(f"[batch] {path} has other settings: its rounds are not kept", file=sys.stderr)
        return []
    return earlier["rounds"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    images_dir = resolve(args.images)
    images = list_images(images_dir)[: args.max_images or None]
    if not images:
        print(f"[batch] no images in {images_dir}", file=sys.stderr)
        return 2
    if args.stages:
        return run_stages(args, images[0])
    settings = {"images": str(images_dir), "n_images": len(images), "copies": args.copies,
                "n_files": len(images) * args.copies, "quality": args.quality, "jobs": args.jobs}
    rounds = _earlier_rounds(resolve(args.out) / "batch.json", settings) if args.append else []
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="aecodec-batch-") as tmp:
        inputs = Path(tmp) / "in"
        files = copy_inputs(images, args.copies, inputs)
        for i in range(len(rounds), len(rounds) + args.repeat):
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
              **settings, "summary": summarize(rounds), "rounds": rounds}
    sysinfo.write_results(resolve(args.out), "batch", result, markdown(result))
    return 0 if result["summary"]["identical_bytes"] else 1


if __name__ == "__main__":
    sys.exit(main())
