"""Byte-identity check for refactors: SHA-256 of the .aec files (and decoded pixels) of fixed inputs.

Run once on the code before a change with ``--save hashes.json``, then after it with ``--compare
hashes.json``: any differing file is listed and the exit status is 1. Covers model 1 on the 24 Kodak images
at three qualities, model 2 on four of them, and the paths a plain Kodak encode skips (latent padding,
tiled transforms, refinement, a target-rate search, alpha and grey images).

    taskset -c 1 python tools/check_bytes.py --save /tmp/before.json
    taskset -c 1 python tools/check_bytes.py --compare /tmp/before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import aecodec

KODAK = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "kodak"
QUALITIES = (20, 50, 90)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cases(kodak: Path, quick: bool):
    """(name, model id, image, encode keyword arguments)."""
    paths = sorted(kodak.glob("kodim*.png"))
    if not paths:
        sys.exit(f"no Kodak images under {kodak}")
    images = {p.stem: Image.open(p).convert("RGB") for p in paths}
    names = list(images)[:2] if quick else list(images)
    for name in names:
        for q in QUALITIES:
            yield f"m1/{name}/q{q}", 1, images[name], {"quality": q}
    for name in list(images)[:4]:
        for q in QUALITIES:
            yield f"m2/{name}/q{q}", 2, images[name], {"quality": q}
    crop = images["kodim05"].crop((3, 5, 503, 338))  # sides not multiples of 64: padding-only latent
    big = images["kodim07"].resize((1536, 1024), Image.BICUBIC)  # latent 96x64: tiled transforms
    alpha = images["kodim08"].convert("RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize(alpha.size))
    grey = images["kodim09"].convert("L")
    for model in (1, 2):
        yield f"m{model}/crop/q50", model, crop, {"quality": 50}
        yield f"m{model}/big/q40", model, big, {"quality": 40}
        yield f"m{model}/kodim10/q50/effort1", model, images["kodim10"], {"quality": 50, "effort": 1}
        yield f"m{model}/kodim11/bpp0.4", model, images["kodim11"], {"target_bpp": 0.4}
        yield f"m{model}/alpha/q60", model, alpha, {"quality": 60}
        yield f"m{model}/grey/q60", model, grey, {"quality": 60}
    yield "m1/crop/q70/effort2", 1, crop, {"quality": 70, "effort": 2}


def run(kodak: Path, quick: bool) -> dict[str, str]:
    codecs = {m: aecodec.Codec(m, threads=1, precision="fp32") for m in (1, 2)}
    hashes = {}
    for name, model, image, kwargs in cases(kodak, quick):
        data = codecs[model].encode(image, **kwargs)
        decoded = np.asarray(codecs[model].decode(data))
        hashes[name] = _sha(data)
        hashes[name + "/decoded"] = _sha(decoded.tobytes() + str(decoded.shape).encode())
        print(f"{name:32s} {len(data):8d} B  {hashes[name][:16]}", flush=True)
    return hashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--save", type=Path, help="write the hashes to this JSON file")
    action.add_argument("--compare", type=Path, help="compare with the hashes of this JSON file")
    parser.add_argument("--kodak", type=Path, default=KODAK)
    parser.add_argument("--quick", action="store_true", help="two Kodak images for model 1 (a smoke run)")
    args = parser.parse_args()
    hashes = run(args.kodak, args.quick)
    if args.save:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"{len(hashes)} hashes written to {args.save}")
        return 0
    before = json.loads(args.compare.read_text())
    differ = sorted(k for k in hashes if before.get(k) != hashes[k])
    print(f"{len(hashes) - len(differ)} of {len(hashes)} hashes identical")
    for key in differ:
        print(f"DIFFERS: {key}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
