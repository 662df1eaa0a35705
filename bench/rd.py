"""Rate-distortion benchmark: every codec through its real encoder, on a folder of images.

    python -m bench.rd [--images DIR] [--codecs LIST] [--out DIR] [--reuse] [--settings C=V,V] [--readme]

Writes rd_per_image.csv, rd_curves.csv, bd_rates.json, bd_rates.md, rd.png and meta.json; with
``--readme``, also the BD-rate table between README.md's markers (README_BEGIN ... README_END).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from bench import codec_adapters, metrics, reference, sysinfo
from bench.bdrate import bd_rate, overlap
from bench.paths import KODAK_DIR, RESULTS_DIR, list_images, resolve

ANCHOR = "jpeg"
README_BEGIN = "<!-- bench/rd.py --readme: BD-rate table -->"
README_END = "<!-- end of bench/rd.py table -->"
ROW_FIELDS = ["codec", "setting", "value", "image", "width", "height", "bytes", "bpp", "psnr",
              "msssim", "encode_s", "decode_s"]
CURVE_FIELDS = ["codec", "label", "setting", "value", "n_images", "bpp", "psnr", "msssim",
                "msssim_db"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.rd", description=__doc__.split("\n")[0])
    p.add_argument("--images", default=str(KODAK_DIR),
                   help="folder of images (relative paths are from the repository root)")
    p.add_argument("--codecs", default=",".join(codec_adapters.ALL),
                   help=f"comma-separated subset of {','.join(codec_adapters.ALL)} "
                        f"({ANCHOR}, the BD-rate anchor, is always included)")
    p.add_argument("--out", default="", help="output folder (default bench/results/<images folder name>)")
    p.add_argument("--reuse", action="store_true",
                   help="keep the cached rows in OUT/rd_per_image.csv of codecs not listed in --codecs "
                        "(e.g. --codecs aecodec --reuse re-measures only aecodec)")
    p.add_argument("--drop", default="", metavar="LIST",
                   help="comma-separated codecs whose cached rows --reuse discards (e.g. a renamed codec)")
    p.add_argument("--readme", nargs="?", const="README.md", default="", metavar="PATH",
                   help="also write the BD-rate table between the markers of PATH (default README.md)")
    p.add_argument("--report-only", action="store_true",
                   help="measure nothing: rebuild the curves, BD-rates and plot from OUT/rd_per_image.csv")
    p.add_argument("--settings", action="append", default=[], metavar="CODEC=V1,V2,...",
                   help="override a codec's grid, e.g. aecodec=5,25,50,75,95 (repeatable)")
    p.add_argument("--max-images", type=int, default=0, help="use only the first N images")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads for MS-SSIM and aecodec (0: torch's default); 1 avoids "
                        "oversubscribing the CPU, and RD numbers do not depend on it")
    return p.parse_args(argv)


def _grids(overrides: list[str]) -> dict[str, tuple[float, ...]]:
    grids = {}
    for item in overrides:
        name, _, values = item.partition("=")
        if not values:
            raise SystemExit(f"--settings expects CODEC=V1,V2,..., got {item!r}")
        grids[name.strip()] = tuple(float(v) for v in values.split(","))
    return grids


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def measure_one(codec: codec_adapters.Codec, image: np.ndarray, value: float, name: str) -> dict:
    """Encode to bytes, decode those bytes, and measure."""
    t0 = time.perf_counter()
    data = codec.encode(image, value)
    t1 = time.perf_counter()
    decoded = codec.decode(data)
    t2 = time.perf_counter()
    h, w = image.shape[:2]
    if decoded.shape != image.shape:
        raise ValueError(f"{codec.name} decoded {decoded.shape}, expected {image.shape}")
    return {"codec": codec.name, "setting": codec.setting_str(value), "value": value, "image": name,
            "width": w, "height": h, "bytes": len(data), "bpp": metrics.bpp(len(data), w, h),
            "psnr": metrics.psnr(image, decoded), "msssim": metrics.msssim(image, decoded),
            "encode_s": t1 - t0, "decode_s": t2 - t1}


def measure(codecs: list[codec_adapters.Codec], images: list[Path],
            notes: dict[str, str]) -> list[dict]:
    """All rows for ``codecs`` on ``images``; a codec that fails is dropped with a note."""
    from tqdm import tqdm

    rows: list[dict] = []
    active = list(codecs)
    total = sum(len(c.settings) for c in codecs) * len(images)
    with tqdm(total=total, unit="enc", desc="rd", dynamic_ncols=True) as bar:
        for path in images:
            image = load_rgb(path)
            for codec in list(active):
                bar.set_postfix_str(f"{path.stem} {codec.name}")
                try:
                    for value in codec.settings:
                        rows.append(measure_one(codec, image, value, path.name))
                        bar.update()
                except Exception as e:  # report and go on with the other codecs
                    notes[codec.name] = f"failed on {path.name}: {type(e).__name__}: {e}"
                    tqdm.write(f"[rd] {codec.name} dropped: {notes[codec.name]}")
                    active.remove(codec)
                    rows = [r for r in rows if r["codec"] != codec.name]
                    bar.total -= len(codec.settings) * len(images)
    return rows


def read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("value", "bpp", "psnr", "msssim", "encode_s", "decode_s"):
            r[k] = float(r[k]) if r[k] not in ("", None) else math.nan
        for k in ("width", "height", "bytes"):
            r[k] = int(r[k])
    return rows


def average_curves(rows: list[dict], n_images: int, notes: dict[str, str]) -> dict[str, dict]:
    """Per codec, the mean bpp / PSNR / MS-SSIM over images of each setting, sorted by bpp.
    A setting measured on fewer than ``n_images`` images is left out (with a note)."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["codec"], r["setting"])].append(r)
    curves: dict[str, dict] = {}
    for (codec, setting), rs in groups.items():
        if len(rs) != n_images:
            notes[f"{codec} {setting}"] = f"only {len(rs)} of {n_images} images; left out"
            continue
        c = curves.setdefault(codec, {k: [] for k in ("setting", "value", "n_images", "bpp", "psnr", "msssim")})
        c["setting"].append(setting)
        c["value"].append(rs[0]["value"])
        c["n_images"].append(len(rs))
        for k in ("bpp", "psnr", "msssim"):
            c[k].append(float(np.mean([r[k] for r in rs])))
    for c in curves.values():
        order = np.argsort(c["bpp"], kind="stable")
        for k in c:
            c[k] = [c[k][i] for i in order]
    return curves


def bd_rates(curves: dict[str, dict], anchor: dict) -> dict[str, dict[str, float]]:
    """BD-rate (%) of every curve against ``anchor`` for PSNR and MS-SSIM (dB)."""
    out = {}
    for codec, c in curves.items():
        out[codec] = {
            "psnr": bd_rate(anchor["bpp"], anchor["psnr"], c["bpp"], c["psnr"]),
            "msssim": bd_rate(anchor["bpp"], metrics.msssim_db(anchor["msssim"]),
                              c["bpp"], metrics.msssim_db(c["msssim"])),
        }
    return out


def psnr_overlaps(curves: dict[str, dict], anchor: dict) -> dict[str, tuple[float, float]]:
    """PSNR range (dB) each curve shares with the anchor: a BD-rate over a few tenths of a dB
    says little."""
    return {codec: overlap(anchor["bpp"], anchor["psnr"], c["bpp"], c["psnr"])
            for codec, c in curves.items()}


def _pct(v: float | None) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:+.1f} %"


def bd_markdown(bd: dict, labels: dict[str, str], ref_bd: dict, images: str, n: int,
                overlaps: dict[str, tuple[float, float]]) -> str:
    lines = [f"# BD-rate vs Pillow JPEG ({images}, {n} images)", "",
             "Negative = fewer bits for the same quality. Bjontegaard delta rate, PCHIP of log-rate as "
             "a function of quality over the overlapping quality range; curves averaged per setting "
             "over the images; MS-SSIM in dB (-10 log10(1 - MS-SSIM)).", ""]
    head = "| codec | PSNR | MS-SSIM | PSNR overlap (dB) |"
    if ref_bd:
        head += " reference PSNR | reference MS-SSIM |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for codec in sorted(bd, key=lambda k: (bd[k]["psnr"] if math.isfinite(bd[k]["psnr"]) else 1e9)):
        lo, hi = overlaps.get(codec, (math.nan, math.nan))
        span = f"{lo:.1f}–{hi:.1f}" if hi > lo else "none"
        cells = [labels.get(codec, codec), _pct(bd[codec]["psnr"]), _pct(bd[codec]["msssim"]), span]
        if ref_bd:
            r = ref_bd.get(codec, {})
            cells += [_pct(r.get("psnr")), _pct(r.get("msssim"))]
        lines.append("| " + " | ".join(cells) + " |")
    if ref_bd:
        lines += ["", "Reference: the same computation on the measured curves of "
                      "../shared/reference/kodak_curves.csv (a machine like this one)."]
    return "\n".join(lines) + "\n"


def published_bd(ref: dict, anchor: dict) -> dict[str, dict[str, float]]:
    """BD-rates of the published reference curves against the JPEG curve measured in this run
    (MS-SSIM NaN where a curve has none)."""
    published = {codec: c for (source, codec), c in ref.items() if source == "published"}
    return bd_rates(published, anchor) if published else {}


def published_markdown(bd: dict) -> str:
    lines = ["", f"Published curves ({reference.PUBLISHED_NOTE}: `../shared/reference/kodak_curves.csv`), "
                 "against the JPEG curve above:", "", "| codec | PSNR | MS-SSIM |", "|---|---|---|"]
    for codec in sorted(bd, key=lambda k: bd[k]["psnr"] if math.isfinite(bd[k]["psnr"]) else 1e9):
        lines.append(f"| {codec} | {_pct(bd[codec]['psnr'])} | {_pct(bd[codec]['msssim'])} |")
    return "\n".join(lines) + "\n"


def readme_table(bd: dict, labels: dict[str, str], weights: dict[str, str], pub: dict) -> str:
    """The README's BD-rate table: the measured codecs (aecodec in bold, with its weights) and the
    published curves (in italics), by PSNR BD-rate."""
    rows = []
    for codec in bd:
        label = labels.get(codec, codec)
        if codec.startswith("aecodec"):
            # "3c32dda32dbb52a6 (step 155930)" -> "(weights 3c32dda32dbb52a6, step 155930)"
            weights_note = weights.get(codec, "").replace(" (step ", ", step ").removesuffix(")")
            label = f"**{label}**" + (f" (weights {weights_note})" if weights_note else "")
        rows.append((bd[codec]["psnr"], f"| {label} | measured here | {_pct(bd[codec]['psnr'])} | "
                                        f"{_pct(bd[codec]['msssim'])} |"))
    for codec, d in pub.items():
        rows.append((d["psnr"], f"| *{codec}* | {reference.PUBLISHED_NOTE} | *{_pct(d['psnr'])}* | "
                                f"{_pct(d['msssim'])} |"))
    rows.sort(key=lambda r: r[0] if math.isfinite(r[0]) else 1e9)
    return "\n".join(["| codec | source | PSNR | MS-SSIM |", "|---|---|---|---|", *(line for _, line in rows)]) + "\n"


def write_readme_table(path: Path, table: str) -> None:
    """Replaces the text between README_BEGIN and README_END in ``path`` (atomically)."""
    from aecodec.outputs import write_atomically

    text = path.read_text()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise SystemExit(f"[rd] {path} lacks the markers {README_BEGIN!r} ... {README_END!r}")
    start = begin + len(README_BEGIN)
    write_atomically(path, (text[:start] + "\n" + table + text[end:]).encode(), force=True)


def json_bd(bd: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    """BD-rates as results files store them: 3 decimals, None where undefined."""
    return {k: {m: (round(v, 3) if math.isfinite(v) else None) for m, v in d.items()} for k, d in bd.items()}


def reference_bd(ref: dict) -> dict[str, dict[str, float]]:
    measured = {codec: c for (source, codec), c in ref.items() if source == "measured"}
    return bd_rates(measured, measured[ANCHOR]) if ANCHOR in measured else {}


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    images_dir = resolve(args.images)
    if not images_dir.is_dir():
        print(f"[rd] no such image folder: {images_dir}", file=sys.stderr)
        return 2
    images = list_images(images_dir)[: args.max_images or None]
    if not images:
        print(f"[rd] no images in {images_dir}", file=sys.stderr)
        return 2
    is_kodak = images_dir == KODAK_DIR.resolve()
    out = resolve(args.out) if args.out else RESULTS_DIR / ("kodak" if is_kodak else images_dir.name)
    out.mkdir(parents=True, exist_ok=True)

    grids = _grids(args.settings)
    names = [n.strip() for n in args.codecs.split(",") if n.strip()]
    if ANCHOR not in names:
        names.append(ANCHOR)
    notes: dict[str, str] = {}
    codecs = []
    for name in dict.fromkeys(names):
        options = {"threads": args.threads or None} if name.startswith("aecodec") else {}
        codec = codec_adapters.get(name, **options)
        if name in grids:
            codec.settings = grids[name]
        why_not = None if args.report_only else codec.available()
        if why_not:
            notes[name] = f"skipped: {why_not}"
            print(f"[rd] {name} skipped: {why_not}", file=sys.stderr)
        else:
            codecs.append(codec)

    image_names = {p.name for p in images}
    if args.report_only:
        codecs = []
    measured_names = {c.name for c in codecs}
    reused = []
    if args.reuse or args.report_only:
        dropped = {n.strip() for n in args.drop.split(",") if n.strip()}
        cached = [r for r in read_rows(out / "rd_per_image.csv")
                  if r["codec"] not in measured_names | dropped and r["image"] in image_names]
        reused = sorted({r["codec"] for r in cached})
    else:
        cached = []
    t0 = time.time()
    rows = cached + measure(codecs, images, notes)
    elapsed = time.time() - t0

    curves = average_curves(rows, len(images), notes)
    labels = {n: codec_adapters.get(n).label for n in codec_adapters.FACTORIES}
    bd = bd_rates(curves, curves[ANCHOR]) if ANCHOR in curves else {}
    ref = reference.load() if is_kodak else {}
    ref_bd = reference_bd(ref)
    # The published curves average all 24 Kodak images: compared only with a run on all of them.
    pub_bd = published_bd(ref, curves[ANCHOR]) if ANCHOR in curves and not args.max_images else {}
    overlaps = psnr_overlaps(curves, curves[ANCHOR]) if ANCHOR in curves else {}
    for codec, (lo, hi) in overlaps.items():
        if codec != ANCHOR and not hi - lo >= 2.0:
            notes[f"{codec} BD-rate"] = (f"PSNR overlap with JPEG only {lo:.2f}–{hi:.2f} dB; "
                                         "its BD-rate is not meaningful")

    write_csv(out / "rd_per_image.csv", rows, ROW_FIELDS)
    curve_rows = [{"codec": codec, "label": labels.get(codec, codec), **{k: c[k][i] for k in c},
                   "msssim_db": float(metrics.msssim_db(c["msssim"][i]))}
                  for codec, c in curves.items() for i in range(len(c["bpp"]))]
    write_csv(out / "rd_curves.csv", curve_rows, CURVE_FIELDS)
    (out / "bd_rates.json").write_text(json.dumps(json_bd(bd), indent=2) + "\n")
    bd_notes = "".join(f"\n- {k.split()[0]}: {v}" for k, v in notes.items() if k.endswith("BD-rate"))
    report = bd_markdown(bd, labels, ref_bd, images_dir.name, len(images), overlaps)
    if pub_bd:
        report += published_markdown(pub_bd)
    (out / "bd_rates.md").write_text(report + (f"\nNotes:{bd_notes}\n" if bd_notes else ""))
    from bench.plot import rd_figure

    rd_figure(curves, labels, ref, out / "rd.png", f"{images_dir.name} ({len(images)} images)")

    codec_versions = {}
    for name in curves:
        try:
            codec_versions.update(codec_adapters.get(name).versions())
        except Exception:  # versions are informative only
            pass
    # The weights behind each aecodec curve: this run's for the codecs it measured, else the last run's.
    previous = json.loads((out / "meta.json").read_text()) if (out / "meta.json").is_file() else {}
    weights = {name: w for name, w in previous.get("aecodec_weights", {}).items() if name not in measured_names}
    weights.update({name: codec_versions[f"{name}-weights"] for name in measured_names
                    if f"{name}-weights" in codec_versions})
    report_fields = {
        "grids": {codec: c["setting"] for codec, c in curves.items()},
        "anchor": ANCHOR, "notes": notes,
        "aecodec_weights": {name: w for name, w in weights.items() if name in curves},
        "published_bd_rates": json_bd(pub_bd),
        "bd_rate_method": "Bjontegaard delta rate: PCHIP (scipy) of ln(bpp) vs quality, integrated "
                          "over the overlapping quality range; MS-SSIM in dB",
    }
    if args.report_only and previous:  # what was measured, when and where stays as the last run wrote it
        meta = {**previous, **report_fields, "report_rebuilt": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    else:
        meta = sysinfo.meta(codec_versions)
        meta.update({
            "images": str(images_dir), "n_images": len(images), "image_names": [p.name for p in images],
            "measured": sorted(measured_names - set(k.split()[0] for k in notes if "failed" in notes[k])),
            "reused_from_cache": reused, "measure_seconds": round(elapsed, 1), **report_fields,
        })
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    if args.readme:
        write_readme_table(resolve(args.readme), readme_table(bd, labels, weights, pub_bd))
        print(f"[rd] wrote the BD-rate table into {resolve(args.readme)}", file=sys.stderr)
    print(report)
    for k, v in notes.items():
        print(f"[rd] note: {k}: {v}", file=sys.stderr)
    print(f"[rd] wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
