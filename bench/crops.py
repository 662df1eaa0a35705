"""The same crop of one image from aecodec, JPEG, WebP and AVIF at equal file size, side by side.

    python -m bench.crops [--image PATH] [--quality Q] [--crop X,Y,SIZE] [--scale 2] [--out DIR]

aecodec's model 2 codes the image at ``--quality``; every other codec (model 1 included) gets the
setting whose file is largest without exceeding that size (a codec that cannot go that small gets its
smallest file, and says so). All files are real: encoded and decoded through the same adapters as
bench.rd. Writes OUT/<image>.png (the crops, upscaled ``--scale`` x nearest, each labelled with
codec, bytes, bpp and whole-image PSNR) and OUT/<image>.json / .md (the figures).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench import codec_adapters, metrics, sysinfo
from bench.paths import KODAK_DIR, RESULTS_DIR, resolve

REFERENCE = "aecodec-m2"  # the codec whose file size the others match
MATCHED = ("aecodec-m1", "jpeg", "webp", "avif")
# Integer settings searched for the classical codecs (quality; higher is larger), aecodec's is continuous.
SEARCH_RANGE = {"jpeg": (1, 95), "webp": (0, 100), "avif": (0, 100), "aecodec-m1": (1.0, 100.0)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.crops", description=__doc__.split("\n")[0])
    p.add_argument("--image", default=str(KODAK_DIR / "kodim23.png"), help="the image (default Kodak kodim23)")
    p.add_argument("--quality", type=float, default=20.0, help="aecodec model 2's quality (1-100)")
    p.add_argument("--crop", default="400,110,256", help="X,Y,SIZE of the square crop, in pixels")
    p.add_argument("--scale", type=int, default=2, help="nearest-neighbour upscaling of the crops")
    p.add_argument("--out", default=str(RESULTS_DIR / "crops"), help="output folder")
    return p.parse_args(argv)


def largest_within(codec: codec_adapters.Codec, image: np.ndarray, budget: int,
                   low: float, high: float, integer: bool) -> tuple[float, bytes]:
    """The setting in [low, high] whose file is largest without exceeding ``budget`` bytes, by bisection
    (file size grows with the setting); ``low``'s file if even that is larger."""
    best = (low, codec.encode(image, low))
    if len(best[1]) > budget:
        return best
    lo, hi = low, high
    for _ in range(40):
        if (hi - lo <= 1) if integer else (hi - lo <= 0.01):
            break
        mid = (lo + hi) // 2 if integer else (lo + hi) / 2
        data = codec.encode(image, mid)
        if len(data) <= budget:
            lo = mid
            if len(data) > len(best[1]):
                best = (mid, data)
        else:
            hi = mid
    if integer and hi != lo:
        data = codec.encode(image, hi)
        if len(best[1]) < len(data) <= budget:
            best = (hi, data)
    return best


def label_font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def compose(original: np.ndarray, panels: list[tuple[str, np.ndarray]], box: tuple[int, int, int],
            scale: int, columns: int = 3) -> Image.Image:
    """The crop of the original and of each decoded image, upscaled, labelled, on a grid."""
    x, y, size = box
    side, caption = size * scale, 56
    tiles = [("original", original)] + panels
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * side + (columns - 1) * 8, rows * (side + caption) + (rows - 1) * 8), "white")
    draw = ImageDraw.Draw(sheet)
    title_font, text_font = label_font(20), label_font(16)
    for i, (text, pixels) in enumerate(tiles):
        left, top = (i % columns) * (side + 8), (i // columns) * (side + caption + 8)
        crop = Image.fromarray(pixels[y : y + size, x : x + size]).resize((side, side), Image.NEAREST)
        sheet.paste(crop, (left, top + caption))
        title, _, details = text.partition("\n")
        draw.text((left + 4, top + 4), title, fill="black", font=title_font)
        draw.text((left + 4, top + 30), details, fill=(60, 60, 60), font=text_font)
    return sheet


def markdown(record: dict) -> str:
    lines = [f"# Equal file size: {record['image']}", "",
             f"Crop {record['crop']} (x, y, size), shown {record['scale']}x nearest. Every codec's file is the "
             f"largest not above aecodec model 2's ({record['budget_bytes']} bytes); bpp = 8 x file bytes / "
             "pixels, PSNR over the whole image (RGB).", "",
             "| codec | setting | bytes | bpp | PSNR (dB) | note |", "|---|---|---|---|---|---|"]
    for r in record["codecs"]:
        lines.append(f"| {r['label']} | {r['setting']} | {r['bytes']} | {r['bpp']:.3f} | {r['psnr']:.2f} | "
                     f"{r.get('note', '')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    path = resolve(args.image)
    if not path.is_file():
        print(f"[crops] no such image: {path}", file=sys.stderr)
        return 2
    with Image.open(path) as im:
        image = np.asarray(im.convert("RGB"))
    h, w = image.shape[:2]
    x, y, size = (int(v) for v in args.crop.split(","))
    if not (0 <= x and 0 <= y and size > 0 and x + size <= w and y + size <= h):
        print(f"[crops] crop {args.crop} does not fit in the {w}x{h} image", file=sys.stderr)
        return 2
    reference_codec = codec_adapters.get(REFERENCE, threads=1)
    codecs = [reference_codec] + [codec_adapters.get(n, **({"threads": 1} if n.startswith("aecodec") else {}))
                                  for n in MATCHED]
    for codec in codecs:
        if why := codec.available():
            print(f"[crops] {codec.name} is not available: {why}", file=sys.stderr)
            return 2

    budget_data = reference_codec.encode(image, args.quality)
    budget = len(budget_data)
    files = {REFERENCE: (args.quality, budget_data)}
    for codec in codecs[1:]:
        low, high = SEARCH_RANGE[codec.name]
        files[codec.name] = largest_within(codec, image, budget, low, high, integer=isinstance(low, int))

    rows, panels, versions = [], [], {}
    for codec in codecs:
        setting, data = files[codec.name]
        decoded = codec.decode(data)
        row = {"codec": codec.name, "label": codec.label, "setting": codec.setting_str(setting),
               "bytes": len(data), "bpp": metrics.bpp(len(data), w, h), "psnr": metrics.psnr(image, decoded)}
        if len(data) > budget:
            row["note"] = "cannot go below this size"
        rows.append(row)
        versions.update(codec.versions())
        panels.append((f"{codec.label}\n{len(data):,} bytes, {row['bpp']:.3f} bpp, {row['psnr']:.2f} dB", decoded))

    out = resolve(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sheet = compose(image, panels, (x, y, size), args.scale)
    sheet.save(out / f"{path.stem}.png", optimize=True)
    record = {"image": path.name, "crop": [x, y, size], "scale": args.scale, "budget_bytes": budget,
              "codecs": rows, "meta": sysinfo.meta(versions)}
    (out / f"{path.stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    (out / f"{path.stem}.md").write_text(markdown(record))
    print(markdown(record))
    print(f"[crops] wrote {out / (path.stem + '.png')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
