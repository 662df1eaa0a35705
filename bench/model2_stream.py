"""Model 2's latent stream overhead: file sizes of one Kodak image with models 1 and 2, and model 2's decode time.

    taskset -c 1 python -m bench.model2_stream [--image PATH] [--out bench/results/model2_stream.json]

Writes a JSON record: file and YLAT section bytes per (model, quality) of one Kodak image (kodim05 by
default), and the median of 3 single-threaded fp32 decodes of model 2's quality-30 file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from PIL import Image

from bench.paths import KODAK_DIR, RESULTS_DIR, resolve

QUALITIES = (5, 30, 75)


def main() -> None:
    import aecodec
    from aecodec import container

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=resolve, default=KODAK_DIR / "kodim05.png")
    parser.add_argument("--out", type=resolve, default=RESULTS_DIR / "model2_stream.json")
    args = parser.parse_args()
    if not args.image.is_file():
        parser.error(f"{args.image} not found (the Kodak images are in ../shared/data/kodak)")
    image = np.asarray(Image.open(args.image).convert("RGB"))
    record = {"image": args.image.name, "bytes": {}, "ylat_bytes": {}}
    files = {}
    for model in (1, 2):
        codec = aecodec.Codec(model, precision="fp32", threads=1)
        for quality in QUALITIES:
            data = codec.encode(image, quality=quality)
            files[(model, quality)] = data
            record["bytes"][f"model{model}_q{quality}"] = len(data)
            record["ylat_bytes"][f"model{model}_q{quality}"] = len(container.parse(data).sections[container.LATENT])
    codec = aecodec.Codec(2, precision="fp32", threads=1)
    data = files[(2, 30)]
    codec.decode(data)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        codec.decode(data)
        times.append(time.perf_counter() - start)
    record["model2_q30_decode_s_median_of_3"] = round(statistics.median(times), 4)
    record["model2_q30_decode_s_all"] = [round(t, 4) for t in times]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
