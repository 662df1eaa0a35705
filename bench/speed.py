"""Speed and memory benchmark: aecodec next to JPEG, WebP and AVIF.

    python -m bench.speed [--images DIR] [--threads 1,2] [--repeat 3] [--no-rss]

Encode/decode wall time per image (median of repeats, then median over images) with 1 and 2
threads, split into transform and entropy-coding time for aecodec (``Codec.last_timings``);
peak RSS for encoding and decoding a 24-megapixel image, each in a fresh subprocess.
Writes bench/results/speed.json and speed.md.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from bench import codec_adapters, sysinfo
from bench.paths import KODAK_DIR, REPO_ROOT, RESULTS_DIR, list_images, resolve

TARGET_MS = 150.0  # a Kodak image should encode and decode in <= 150 ms each
CODECS = ("aecodec", "jpeg", "webp", "avif")
# One mid-range setting per codec; the encoder options are the RD benchmark's (bench.codec_adapters).
SETTINGS = {"aecodec": {"quality": 75.0}, "jpeg": {"quality": 75}, "webp": {"quality": 75},
            "avif": {"quality": 60}}


def model_id(name: str) -> int:
    """The registered model an aecodec runner measures: "aecodec-mN" is model N, "aecodec" the default."""
    from aecodec.models import DEFAULT_MODEL_ID

    return int(name.rsplit("-m", 1)[1]) if "-m" in name else DEFAULT_MODEL_ID


def decode_ratios(summary: dict) -> dict[str, float]:
    """Model 2's median decode time over model 1's, per thread count, when both were timed in this run."""
    base = summary.get("aecodec-m1") or summary.get("aecodec")
    if "aecodec-m2" not in summary or not base:
        return {}
    return {t: round(s["median_decode_ms"] / base[t]["median_decode_ms"], 3)
            for t, s in summary["aecodec-m2"].items() if t in base}


class Runner:
    """Encode/decode callables for one codec at one thread count; ``timings`` after each call."""

    def __init__(self, name: str, threads: int, quality: float):
        self.name, self.threads, self.quality = name, threads, quality
        self.timings: dict[str, float] = {}
        if name.startswith("aecodec"):
            import torch

            import aecodec

            torch.set_num_threads(threads)
            self._codec = aecodec.Codec(model_id(name), threads=threads)
        else:
            self._adapter = codec_adapters.avif(max_threads=threads) if name == "avif" else codec_adapters.get(name)
            if name == "avif":
                from PIL import AvifImagePlugin

                AvifImagePlugin.DEFAULT_MAX_THREADS = threads  # used by the decoder

    def encode(self, image: np.ndarray | Image.Image) -> bytes:
        if self.name.startswith("aecodec"):
            data = self._codec.encode(image, quality=self.quality)
            self.timings = dict(self._codec.last_timings or {})
            return bytes(data)
        return self._adapter.encode(image, self.quality)

    def decode(self, data: bytes) -> Image.Image:
        if self.name.startswith("aecodec"):
            im = self._codec.decode(data)
            self.timings = dict(self._codec.last_timings or {})
            return im
        im = Image.open(io.BytesIO(data))
        im.load()
        return im


def aecodec_unavailable() -> str | None:
    try:
        import aecodec

        codec = aecodec.Codec(threads=1)
        probe = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
        codec.decode(codec.encode(probe, quality=75.0))
        if not isinstance(codec.last_timings, dict):
            return "aecodec.Codec has no last_timings dict"
    except Exception as e:  # the codec is being built concurrently
        return f"aecodec not usable yet ({type(e).__name__}: {e})"
    return None


def _timed(fn: Callable, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def _source(runner: Runner, image: Image.Image):
    """What the runner encodes: aecodec takes the pixels as an array, the other codecs the PIL image."""
    return np.asarray(image) if runner.name.startswith("aecodec") else image


def warm_up(runner: Runner, image: Image.Image) -> None:
    """One untimed encode and decode: lazy model loading, caches."""
    runner.decode(runner.encode(_source(runner, image)))


def time_image(runner: Runner, name: str, im: Image.Image, repeat: int, bar) -> dict:
    """One image's medians over ``repeat`` runs of encode and decode (ms)."""
    src = _source(runner, im)
    enc, dec, enc_t, dec_t = [], [], [], []
    for _ in range(repeat):
        data, t = _timed(runner.encode, src)
        enc.append(t)
        enc_t.append(runner.timings)
        _, t = _timed(runner.decode, data)
        dec.append(t)
        dec_t.append(runner.timings)
        bar.update()
    row = {"codec": runner.name, "threads": runner.threads, "image": name, "bytes": len(data),
           "bpp": 8 * len(data) / (im.width * im.height),
           "encode_ms": 1e3 * statistics.median(enc), "decode_ms": 1e3 * statistics.median(dec)}
    for prefix, ts in (("encode", enc_t), ("decode", dec_t)):
        for key in ("transform_s", "entropy_s"):
            vals = [t[key] for t in ts if key in t]
            if vals:
                row[f"{prefix}_{key[:-2]}_ms"] = 1e3 * statistics.median(vals)
    return row


def summarize(rows: list[dict]) -> dict:
    """``{codec: {threads: {metric: median over images}}}``."""
    out: dict = {}
    for r in rows:
        out.setdefault(r["codec"], {}).setdefault(str(r["threads"]), []).append(r)
    for codec, by_threads in out.items():
        for t, rs in by_threads.items():
            keys = [k for k in rs[0] if k.endswith("_ms") or k == "bpp"]
            s = {f"median_{k}": statistics.median(r[k] for r in rs if k in r) for k in keys}
            s["max_encode_ms"] = max(r["encode_ms"] for r in rs)
            s["max_decode_ms"] = max(r["decode_ms"] for r in rs)
            s["n_images"] = len(rs)
            by_threads[t] = s
    return out


# ---- peak RSS on a large image, one fresh subprocess per (codec, operation) ----

def tiled_image(width: int, height: int, folder: Path = KODAK_DIR) -> np.ndarray:
    """A ``height`` x ``width`` RGB image tiled from the landscape images of ``folder``."""
    tiles = [t for t in (np.asarray(Image.open(p).convert("RGB")) for p in list_images(folder))
             if t.shape[1] >= t.shape[0]]
    th, tw = min(t.shape[0] for t in tiles), min(t.shape[1] for t in tiles)
    out = np.empty((height, width, 3), np.uint8)
    k = 0
    for y in range(0, height, th):
        for x in range(0, width, tw):
            tile = tiles[k % len(tiles)]
            k += 1
            h, w = min(th, height - y), min(tw, width - x)
            out[y:y + h, x:x + w] = tile[:h, :w]
    return out


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return None


def _ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak is the codec call's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def rss_child(spec: dict) -> dict:
    """Runs in the subprocess: one encode or decode, reporting this process's peak RSS.

    Linux carries ru_maxrss over fork+exec from the parent, so the child's own peak is read from
    VmHWM (reset just before the call); ru_maxrss is reported too.
    """
    runner = Runner(spec["codec"], spec["threads"], spec["quality"])
    if spec["op"] == "encode":
        w, h = spec["size"]
        src = tiled_image(w, h, Path(spec["images"]))
        src = src if spec["codec"].startswith("aecodec") else Image.fromarray(src)
        _reset_peak()
        base = _proc_status_mb("VmRSS")
        data, seconds = _timed(runner.encode, src)
        Path(spec["path"]).write_bytes(data)
        extra = {"bytes": len(data), "bpp": 8 * len(data) / (w * h)}
    else:
        data = Path(spec["path"]).read_bytes()
        _reset_peak()
        base = _proc_status_mb("VmRSS")
        im, seconds = _timed(runner.decode, data)
        extra = {"size": list(im.size)}
    peak = _proc_status_mb("VmHWM")
    ru = _ru_maxrss_mb()
    return {"peak_rss_mb": round(peak if peak is not None else ru, 1),
            "baseline_rss_mb": round(base, 1) if base is not None else None,
            "ru_maxrss_mb": round(ru, 1), "seconds": round(seconds, 3), **extra}


def measure_rss(codecs: list[str], size: tuple[int, int], threads: int, images: Path,
                timeout: float) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for codec in codecs:
            results[codec] = {}
            for op in ("encode", "decode"):
                spec = {"codec": codec, "op": op, "size": size, "threads": threads,
                        "quality": SETTINGS[codec]["quality"], "images": str(images),
                        "path": str(Path(tmp) / f"{codec}.bin")}
                cmd = [sys.executable, "-m", "bench.speed", "--rss-child", json.dumps(spec)]
                print(f"[speed] peak RSS: {codec} {op} {size[0]}x{size[1]}", file=sys.stderr)
                try:
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
                except subprocess.TimeoutExpired:
                    results[codec][op] = {"error": f"timed out after {timeout:.0f} s"}
                    break
                if proc.returncode != 0:
                    results[codec][op] = {"error": proc.stderr.strip().splitlines()[-1:]}
                    break
                results[codec][op] = json.loads(proc.stdout.strip().splitlines()[-1])
    return results


# ---- report ----

def _fmt(v) -> str:
    return "–" if v is None else f"{v:.0f}" if isinstance(v, float) and v >= 100 else (
        f"{v:.1f}" if isinstance(v, float) else str(v))


def markdown(result: dict) -> str:
    m = result["meta"]
    lines = ["# aecodec speed and memory", "",
             *sysinfo.markdown_header(m),
             f"- images: {result['images']} ({result['n_images']}), {result['repeat']} runs per image; "
             "per-image median, then median over images",
             "- settings: " + ", ".join(f"{c} {s}" for c, s in result["settings"].items()), ""]
    for note in result["notes"]:
        lines.append(f"> {note}")
    if result["notes"]:
        lines.append("")
    lines += ["## Time per image (ms)", "",
              "| codec | threads | encode | decode | enc. transform | enc. entropy | dec. transform "
              "| dec. entropy | max encode | max decode | bpp |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for codec, by_t in result["summary"].items():
        for t, s in by_t.items():
            lines.append("| " + " | ".join([codec, t] + [_fmt(s.get(k)) for k in (
                "median_encode_ms", "median_decode_ms", "median_encode_transform_ms",
                "median_encode_entropy_ms", "median_decode_transform_ms", "median_decode_entropy_ms",
                "max_encode_ms", "max_decode_ms")] + [f"{s['median_bpp']:.3f}"]) + " |")
    tgt = result["target"]
    lines += ["", f"Target: a Kodak image encodes and decodes in <= {tgt['ms']:.0f} ms each: "
              + ("not measured (aecodec unavailable)" if tgt["met"] is None else
                 ("**met**" if tgt["met"] else "**not met**")
                 + f" (best median: encode {_fmt(tgt['encode_ms'])} ms, decode {_fmt(tgt['decode_ms'])} ms"
                 f" with {tgt['threads']} threads)"), ""]
    if result.get("model2_decode_ratio"):
        lines += ["Model 2's decode time over model 1's (per-image medians, same run; target <= 1.5): "
                  + ", ".join(f"{r:.2f} with {t} threads" for t, r in result["model2_decode_ratio"].items()), ""]
    if result.get("rss"):
        r = result["rss_setup"]
        lines += [f"## Peak RSS, {r['size'][0]}x{r['size'][1]} image ({r['size'][0] * r['size'][1] / 1e6:.0f} MP), "
                  f"{r['threads']} threads, fresh process each", "",
                  "Peak: the child's peak resident set (VmHWM; ru_maxrss on Linux also counts the "
                  "parent's RSS inherited over fork+exec). Baseline: RSS just before the codec call "
                  "(interpreter, libraries, input image).", "",
                  "| codec | operation | peak RSS (MB) | baseline (MB) | seconds | bpp |", "|---|---|---|---|---|---|"]
        for codec, ops in result["rss"].items():
            for op, v in ops.items():
                if "error" in v:
                    lines.append(f"| {codec} | {op} | error: {v['error']} | | | |")
                else:
                    lines.append(f"| {codec} | {op} | {_fmt(v['peak_rss_mb'])} | {_fmt(v['baseline_rss_mb'])} "
                                 f"| {v['seconds']:.2f} | {v.get('bpp', '') and format(v.get('bpp'), '.3f')} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n")[0])
    p.add_argument("--images", default=str(KODAK_DIR), help="folder of images (default Kodak)")
    p.add_argument("--max-images", type=int, default=0, help="use only the first N images")
    p.add_argument("--codecs", default=",".join(CODECS), help=f"subset of {','.join(CODECS)}")
    p.add_argument("--threads", default="1,2", help="thread counts to time, e.g. 1,2")
    p.add_argument("--repeat", type=int, default=3, help="runs per image (median taken)")
    p.add_argument("--quality", type=float, default=75.0, help="aecodec quality")
    p.add_argument("--no-rss", action="store_true", help="skip the 24-megapixel peak-RSS runs")
    p.add_argument("--rss-codecs", default=",".join(CODECS), help="codecs for the peak-RSS runs")
    p.add_argument("--rss-size", default="6000x4000", help="WxH of the tiled image for peak RSS")
    p.add_argument("--rss-timeout", type=float, default=900.0, help="seconds per RSS subprocess")
    p.add_argument("--out", default=str(RESULTS_DIR), help="folder for speed.json and speed.md")
    p.add_argument("--rss-child", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rss_child:
        print(json.dumps(rss_child(json.loads(args.rss_child))))
        return 0
    from tqdm import tqdm

    SETTINGS["aecodec"]["quality"] = args.quality
    images_dir = resolve(args.images)
    paths = list_images(images_dir)[: args.max_images or None]
    if not paths:
        print(f"[speed] no images in {images_dir}", file=sys.stderr)
        return 2
    images = [(p.name, Image.open(p).convert("RGB")) for p in paths]
    threads = [int(t) for t in args.threads.split(",")]
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    for codec in codecs:
        if codec.startswith("aecodec"):
            SETTINGS[codec] = {"quality": args.quality}
    notes = []
    if "aecodec" in codecs and (why := aecodec_unavailable()):
        notes.append(f"aecodec skipped: {why}")
        codecs.remove("aecodec")

    rows = []
    with tqdm(total=len(codecs) * len(threads) * len(images) * args.repeat, desc="speed",
              unit="run", dynamic_ncols=True) as bar:
        for t in threads:
            runners = [Runner(codec, t, SETTINGS[codec]["quality"]) for codec in codecs]
            for runner in runners:
                warm_up(runner, images[0][1])
            # Codecs take turns image by image, so that a varying load (a training job, other users)
            # weighs on each alike and ratios such as model 2's decode time over model 1's hold.
            for name, im in images:
                for runner in runners:
                    bar.set_postfix_str(f"{name} {runner.name} {t} thr")
                    rows.append(time_image(runner, name, im, args.repeat, bar))
    summary = summarize(rows)

    target = {"ms": TARGET_MS, "met": None, "encode_ms": None, "decode_ms": None, "threads": None}
    if "aecodec" in summary:
        t, s = min(summary["aecodec"].items(),
                   key=lambda kv: max(kv[1]["median_encode_ms"], kv[1]["median_decode_ms"]))
        target.update(threads=int(t), encode_ms=s["median_encode_ms"], decode_ms=s["median_decode_ms"],
                      met=bool(s["median_encode_ms"] <= TARGET_MS and s["median_decode_ms"] <= TARGET_MS))

    rss, rss_setup = {}, {}
    if not args.no_rss:
        w, h = (int(v) for v in args.rss_size.lower().split("x"))
        rss_codecs = [c for c in args.rss_codecs.split(",") if c in codecs]
        rss_setup = {"size": [w, h], "threads": max(threads), "codecs": rss_codecs}
        rss = measure_rss(rss_codecs, (w, h), max(threads), images_dir, args.rss_timeout)

    result = {"meta": sysinfo.meta(), "images": str(images_dir), "n_images": len(images),
              "repeat": args.repeat, "threads": threads, "settings": {c: SETTINGS[c] for c in codecs},
              "notes": notes, "target": target, "summary": summary, "per_image": rows,
              "rss_setup": rss_setup, "rss": rss, "model2_decode_ratio": decode_ratios(summary)}
    sysinfo.write_results(resolve(args.out), "speed", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
