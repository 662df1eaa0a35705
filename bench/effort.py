"""What the encoder's effort levels buy: BD-rate against effort 0 and encode time, real files.

    python -m bench.effort [--model 2] [--efforts 0 1 2] [--images 4] [--qualities 10 30 50 70 90] [--out DIR]

Encodes the first held-out training photos (``bench/holdout.py``'s split, never Kodak) through the public
``aecodec.Codec(model).encode(..., effort=k)`` on one thread, decodes each file and measures its bytes
(bpp = 8 x bytes / pixels) and PSNR (RGB). Writes OUT/effort-m<model>.json / .md with the machine, versions
and date.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from PIL import Image

import aecodec
from aecodec.models import DEFAULT_MODEL_ID
from aecodec.training.data import list_images, split_holdout
from bench import metrics, sysinfo
from bench.bdrate import bd_rate
from bench.holdout import HOLDOUT_EVERY, TRAIN_DIR
from bench.paths import RESULTS_DIR, resolve


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.effort", description=__doc__.split("\n")[0])
    p.add_argument("--model", type=int, default=DEFAULT_MODEL_ID, help="model id")
    p.add_argument("--efforts", type=int, nargs="+", default=[0, 1, 2], help="effort levels (the first is the reference)")
    p.add_argument("--images", type=int, default=4, help="the first N held-out photos")
    p.add_argument("--qualities", type=float, nargs="+", default=[10.0, 30.0, 50.0, 70.0, 90.0])
    p.add_argument("--data", default=TRAIN_DIR, help="the training photos' folder")
    p.add_argument("--out", default=str(RESULTS_DIR / "effort"), help="output folder")
    return p.parse_args(argv)


def markdown(record: dict) -> str:
    lines = [f"# Encoder effort, model {record['model']} ({record['fingerprint']})", "",
             *sysinfo.markdown_header(record["meta"]),
             f"{len(record['images'])} held-out training photos, qualities {record['qualities']}, one thread; "
             f"BD-rate (PSNR, real file bytes) against effort {record['efforts'][0]['effort']}.", "",
             "| effort | BD-rate | encode time (s, all files) | mean bpp | mean PSNR (dB) |", "|---|---|---|---|---|"]
    for r in record["efforts"]:
        lines.append(f"| {r['effort']} | {r['bd_rate']:+.3f} % | {r['encode_seconds']:.1f} | "
                     f"{np.mean(r['bpp']):.4f} | {np.mean(r['psnr']):.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = resolve(args.data)
    if not folder.is_dir():
        print(f"[effort] no training photos at {folder}", file=sys.stderr)
        return 2
    held_out = split_holdout(list_images(folder), HOLDOUT_EVERY)[1][: args.images]
    codec = aecodec.Codec(args.model, threads=1)
    photos = []
    for path in held_out:
        with Image.open(path) as im:
            photos.append(np.asarray(im.convert("RGB")))
    efforts = []
    for effort in args.efforts:
        bpp = np.zeros(len(args.qualities))
        quality_db = np.zeros(len(args.qualities))
        seconds = 0.0
        for rgb in photos:
            h, w = rgb.shape[:2]
            for i, q in enumerate(args.qualities):
                start = time.perf_counter()
                data = codec.encode(rgb, q, effort=effort)
                seconds += time.perf_counter() - start
                decoded = np.asarray(aecodec.decode(data).convert("RGB"))
                bpp[i] += metrics.bpp(len(data), w, h) / len(photos)
                quality_db[i] += metrics.psnr(rgb, decoded) / len(photos)
        efforts.append({"effort": effort, "bpp": bpp.tolist(), "psnr": quality_db.tolist(), "encode_seconds": seconds})
        print(f"[effort] effort {effort}: {seconds:.1f} s", flush=True)
    reference = efforts[0]
    for r in efforts:
        r["bd_rate"] = bd_rate(reference["bpp"], reference["psnr"], r["bpp"], r["psnr"])
    record = {"meta": sysinfo.meta(), "model": args.model, "fingerprint": codec.engine.fingerprint[:16],
              "images": [p.name for p in held_out], "qualities": args.qualities, "efforts": efforts}
    sysinfo.write_results(args.out, f"effort-m{args.model}", record, markdown(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
