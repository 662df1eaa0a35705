"""Writes the golden file of a released model: a crop of the demo sample encoded with its weights, in fp32.

    python tests/data/releases/make_golden.py VERSION MODEL_ID

Run once per (release, model) when the release is cut; tests/test_releases.py then checks, in every
later version, that the file decodes to the pixels recorded here. Existing golden files are never
rewritten: a release's files must keep decoding as they did the day it shipped.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from aecodec.metrics import psnr

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "golden.json"
# A photo-like region (sky, ridges, the tree) whose sides are not multiples of 64, so padding is covered.
CROP = (8, 96, 168, 216)  # left, top, right, bottom in aecodec/data/sample.png
QUALITY = 30.0


def pixel_hash(image: Image.Image) -> str:
    """SHA-256 of a decoded image's mode, size and pixels."""
    digest = hashlib.sha256(f"{image.mode}|{image.width}x{image.height}|".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def sample_path() -> Path:
    from importlib.resources import files

    return Path(str(files("aecodec") / "data" / "sample.png"))


def main(version: str, model_id: int) -> None:
    import aecodec
    from aecodec import releases

    release = next(r for r in releases.RELEASES if r.version == version)
    weights = next(w for w in release.encodes if w.model_id == model_id)
    name = f"{version}-model{model_id}"
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    if name in manifest or (HERE / f"{name}.aec").exists():
        sys.exit(f"{name} exists: golden files are never rewritten")
    source = np.asarray(Image.open(sample_path()).convert("RGB").crop(CROP))
    codec = aecodec.Codec(model_id, weights=weights.path, precision="fp32")
    data = codec.encode(source, quality=QUALITY)
    decoded = codec.decode(data)
    Image.fromarray(source).save(HERE / f"{name}-source.png", optimize=True)
    (HERE / f"{name}.aec").write_bytes(data)
    manifest[name] = {
        "release": version, "model_id": model_id, "fingerprint": weights.short, "quality": QUALITY,
        "file": f"{name}.aec", "source": f"{name}-source.png", "bytes": len(data),
        "fp32_pixel_sha256": pixel_hash(decoded), "fp32_psnr_db": round(psnr(source, np.asarray(decoded)), 4),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{name}: {len(data)} bytes, {manifest[name]['fp32_psnr_db']} dB")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
