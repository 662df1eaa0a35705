"""Entropy coder benchmark: aecodec's rANS vs constriction (and CompressAI when installed).

Codes Gaussian-conditional latents (scales log-uniform in [0.11, 20], random means) and reports
encode/decode symbols per second through the Python call (best wall time of several runs) and
the code length over the ideal of each coder's own model.

    python -m bench.entropy [--json bench/results/entropy.json] [--md bench/results/entropy.md] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import time
from importlib import metadata

import numpy as np

from aecodec.entropy import default_gaussian_coder

SHAPES = [(1, 192, 32, 48), (1, 320, 64, 96)]


def latent(shape, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.uniform(np.log(0.11), np.log(20.0), shape)).astype(np.float32)
    means = rng.uniform(-10, 10, shape).astype(np.float32)
    y = (means + rng.normal(0, 1, shape) * scales).astype(np.float32)
    return y, means, scales


def gaussian_bits(sym, scales):
    """Ideal bits of sym under the exact discretized zero-mean Gaussians of the given scales."""
    from scipy.special import log_ndtr

    a = np.abs(sym.astype(np.float64)) / scales
    h = 0.5 / scales.astype(np.float64)
    # log(Q(a - h) - Q(a + h)) with Q the upper tail, stable far out: Q(x) = ndtr(-x)
    lo, hi = log_ndtr(-(a - h)), log_ndtr(-(a + h))
    return float(-(lo + np.log1p(-np.exp(hi - lo))).sum() / np.log(2))


def timed(fn, repeat):
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return out, best_wall, best_cpu


def run_aecodec(y, means, scales, threads, substreams, repeat):
    coder = default_gaussian_coder()
    data, te, ce = timed(lambda: coder.compress(y, means, scales, substreams=substreams, threads=threads), repeat)
    (_, sym), td, cd = timed(lambda: coder.decompress(data, means, scales, threads=threads), repeat)
    assert np.array_equal(sym, np.rint(y - means))
    return data, te, ce, td, cd, coder.estimate_bits(y, means, scales)


def run_constriction(y, means, scales, repeat):
    import constriction

    sym = np.rint(y - means).astype(np.int32).ravel()
    std = scales.astype(np.float64).ravel()
    zero = np.zeros_like(std)
    bound = int(np.abs(sym).max()) + 1
    family = constriction.stream.model.QuantizedGaussian(-bound, bound)

    def enc():
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(sym, family, zero, std)
        return coder.get_compressed()

    words, te, ce = timed(enc, repeat)
    out, td, cd = timed(lambda: constriction.stream.stack.AnsCoder(words).decode(family, zero, std), repeat)
    assert np.array_equal(out, sym)
    return words.nbytes, te, ce, td, cd, gaussian_bits(sym, std)


def machine():
    model = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform()}


def versions():
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for pkg in ("aecodec", "constriction", "compressai"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--md", help="write the printed table here (markdown)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--note", default="", help="free text stored with the results (e.g. machine load)")
    args = ap.parse_args(argv)

    runs, notes = [], []
    try:
        import compressai  # noqa: F401

        notes.append("compressai is installed but not wired into this benchmark yet")
    except ImportError:
        notes.append("CompressAI not installed: skipped")
    for shape in SHAPES:
        y, means, scales = latent(shape)
        n = y.size
        rows = [("aecodec", 1, 1), ("aecodec", 1, 8), ("aecodec", 2, 8), ("constriction", 1, 1)]
        for coder, threads, k in rows:
            if coder == "aecodec":
                nbytes, te, ce, td, cd, ideal = run_aecodec(y, means, scales, threads, k, args.repeat)
                nbytes = len(nbytes)
            else:
                nbytes, te, ce, td, cd, ideal = run_constriction(y, means, scales, max(1, args.repeat // 2))
            runs.append({
                "coder": coder, "shape": list(shape), "threads": threads, "substreams": k,
                "encode_msym_s": round(n / te / 1e6, 2), "decode_msym_s": round(n / td / 1e6, 2),
                "encode_cpu_msym_s": round(n / ce / 1e6, 2), "decode_cpu_msym_s": round(n / cd / 1e6, 2),
                "bits_per_symbol": round(8 * nbytes / n, 4),
                "overhead_pct": round(100 * (8 * nbytes / ideal - 1), 4),
            })
    result = {
        "machine": machine(), "versions": versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "note": " ".join([args.note] + notes).strip(),
        "overhead_reference": "aecodec: ideal bits of its quantized tables; constriction: exact discretized Gaussian",
        "runs": runs,
    }
    table = format_table(result)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    if args.md:
        with open(args.md, "w") as f:
            f.write(table + "\n")


def format_table(result):
    head = ("| coder | shape | threads | substreams | encode Msym/s | decode Msym/s | enc CPU Msym/s "
            "| dec CPU Msym/s | bits/sym | over ideal % |")
    lines = [f"Entropy coder benchmark, {result['date']}", "",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores. {result['note']}", "",
             head, "|" + "---|" * 10]
    for r in result["runs"]:
        lines.append(f"| {r['coder']} | {'x'.join(map(str, r['shape']))} | {r['threads']} | {r['substreams']} "
                     f"| {r['encode_msym_s']} | {r['decode_msym_s']} | {r['encode_cpu_msym_s']} "
                     f"| {r['decode_cpu_msym_s']} | {r['bits_per_symbol']} | {r['overhead_pct']} |")
    lines += ["", "Msym/s: best wall time over repeats through the Python call; CPU Msym/s: symbols per second "
              "of process CPU time (all threads summed). Overhead: " + result["overhead_reference"] + "."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
