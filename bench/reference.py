"""Reference Kodak curves from ../shared/reference/kodak_curves.csv (measured and published)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from bench.paths import REFERENCE_CSV

PUBLISHED_NOTE = "published, not measured here"  # how plots and tables label the "published" curves


def load(path: Path = REFERENCE_CSV) -> dict[tuple[str, str], dict[str, list[float]]]:
    """``{(source, codec): {"setting": [...], "bpp": [...], "psnr": [...], "msssim": [...]}}``;
    empty when the file is absent; a missing MS-SSIM is NaN."""
    if not Path(path).is_file():
        return {}
    curves: dict[tuple[str, str], dict[str, list]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            c = curves.setdefault((row["source"], row["codec"]),
                                  {"setting": [], "bpp": [], "psnr": [], "msssim": []})
            c["setting"].append(row["setting"])
            for key in ("bpp", "psnr", "msssim"):
                c[key].append(float(row[key]) if row[key] else math.nan)
    return curves
