"""``aecodec demo``: compress and decompress one image, and print bpp and PSNR next to JPEG."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

from aecodec.metrics import psnr

# A Kodak image when the data folder sits beside a source checkout, else the package's own sample.
KODAK_SAMPLE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kodak" / "kodim23.png"


def default_image() -> Path:
    """The image ``aecodec demo`` compresses when given none."""
    if KODAK_SAMPLE.exists():
        return KODAK_SAMPLE
    from importlib.resources import files

    return Path(str(files("aecodec") / "data" / "sample.png"))


def load_rgb(path: Path) -> np.ndarray:
    """The image at ``path`` as RGB, refused above ``aecodec.MAX_IMAGE_PIXELS`` from its header; a ValueError
    (aecodec's errors for images are ValueErrors) with a one-line reason when it cannot be read."""
    from aecodec.fileinfo import max_image_pixels
    from aecodec.imageio import to_planar

    if path.is_dir():
        raise ValueError(f"{path} is a folder: pass an image file")
    return to_planar(path, max_image_pixels()).rgb


def jpeg_at_size(rgb: np.ndarray, max_bytes: int) -> tuple[bytes, int]:
    """The best Pillow JPEG (4:2:0, optimized) that is no larger than ``max_bytes``; quality 1's when even
    that one is larger."""
    best, best_q = None, 1
    for q in range(1, 96):
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=q, optimize=True, subsampling=2)
        if buffer.tell() > max_bytes and best is not None:
            break
        best, best_q = buffer.getvalue(), q
    return best, best_q


def run(image_path: str | None, quality: float) -> int:
    import aecodec

    path = Path(image_path) if image_path else default_image()
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass an image path")
    rgb = load_rgb(path)
    pixels = rgb.shape[0] * rgb.shape[1]
    codec = aecodec.Codec()
    codec.decode(codec.encode(rgb[:64, :64]))  # warm-up: the first call pays one-off kernel set-up
    started = time.perf_counter()
    data = codec.encode(rgb, quality=quality)
    encode_s = time.perf_counter() - started
    started = time.perf_counter()
    decoded = np.asarray(codec.decode(data))
    decode_s = time.perf_counter() - started
    jpeg, jpeg_q = jpeg_at_size(rgb, len(data))
    jpeg_decoded = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    if len(jpeg) <= len(data):
        label = "largest file not above aecodec's"
    else:
        label = "smallest JPEG, still larger than aecodec's: no quality fits"
    print(f"image   {path} ({rgb.shape[1]}x{rgb.shape[0]})")
    print(f"aecodec q={quality:<5g} {len(data):>8} bytes  {8 * len(data) / pixels:.3f} bpp  "
          f"PSNR {psnr(rgb, decoded):.2f} dB  (encode {encode_s * 1000:.0f} ms, decode {decode_s * 1000:.0f} ms)")
    print(f"JPEG    q={jpeg_q:<5d} {len(jpeg):>8} bytes  {8 * len(jpeg) / pixels:.3f} bpp  "
          f"PSNR {psnr(rgb, jpeg_decoded):.2f} dB  (Pillow, 4:2:0, optimize, {label})")
    return 0
