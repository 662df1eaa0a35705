"""Rate-distortion on photographs other than Kodak: the images that training holds out.

    python -m bench.holdout [--codecs aecodec,jpeg,webp] [extra rd.py options]

`aecodec train` leaves every 10th image of ../shared/data/train (by name) out of training; this
links those into a temporary folder and runs bench.rd on it, writing bench/results/holdout/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from aecodec.training.data import list_images, split_holdout
from bench import rd
from bench.paths import RESULTS_DIR, resolve

TRAIN_DIR = "../shared/data/train"
HOLDOUT_EVERY = 10


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--codecs" not in argv:
        argv += ["--codecs", "aecodec,jpeg,webp"]
    _, held_out = split_holdout(list_images(resolve(TRAIN_DIR)), HOLDOUT_EVERY)
    with tempfile.TemporaryDirectory(prefix="aecodec-holdout-") as folder:
        for path in held_out:
            (Path(folder) / path.name).symlink_to(path.resolve())
        return rd.main(["--images", folder, "--out", str(RESULTS_DIR / "holdout"), *argv])


if __name__ == "__main__":
    raise SystemExit(main())
