"""Rate-distortion on photographs other than Kodak: the images that training holds out.

    python bench/holdout.py [--codecs aecodec,jpeg,webp] [extra rd.py options]

`aecodec train` leaves every 10th image of ../shared/data/train (by name) out of training; this
links those into a temporary folder and runs bench/rd.py on it, writing bench/results/holdout/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable, after site-packages so that
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # the installed aecodec is what runs

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
