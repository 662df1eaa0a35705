"""Makes gpudata/train: the training photos as JPEG q92 4:4:4 copies that fit the device tool's 64 MiB carry.

    python -m tools.gpu_data [--source ../shared/data/train] [--out gpudata/train]

Same names and order as the originals, so the trainer holds out the same photos.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.gpu_data", description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, default=Path("../shared/data/train"))
    p.add_argument("--out", type=Path, default=Path("gpudata/train"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in sorted(args.source.glob("*.png")):
        target = args.out / f"{path.stem}.jpg"
        with Image.open(path) as im:
            im.convert("RGB").save(target, quality=92, subsampling=0)
        total += target.stat().st_size
    print(f"{args.out}: {total / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
