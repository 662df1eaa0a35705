"""Turning what users hand us (PIL images, numpy arrays, paths) into RGB + alpha planes, and back."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from aecodec.errors import CorruptStreamError, UnsupportedImageError


@dataclass
class PlanarImage:
    """An image split the way the codec stores it."""

    rgb: np.ndarray  # HxWx3 uint8, C-contiguous
    mode: str  # one of container.MODES: what decode gives back
    alpha: np.ndarray | None = None  # HxW uint8
    icc_profile: bytes | None = None

    @property
    def height(self) -> int:
        return self.rgb.shape[0]

    @property
    def width(self) -> int:
        return self.rgb.shape[1]


def _from_array(array: np.ndarray) -> Image.Image:
    if array.dtype != np.uint8:
        raise UnsupportedImageError(f"numpy images must be uint8, got {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(array), "L")
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[array.shape[2]]
        data = array[:, :, 0] if array.shape[2] == 1 else array
        return Image.fromarray(np.ascontiguousarray(data), mode)
    raise UnsupportedImageError(f"numpy images must be HxW or HxWxC with C in 1..4, got shape {array.shape}")


def _open_path(path: Path) -> Image.Image:
    try:
        with Image.open(path) as im:
            im.load()
            return im
    except FileNotFoundError:
        raise
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise UnsupportedImageError(f"cannot read image {path}: {exc}") from exc


def _normalize_mode(im: Image.Image) -> Image.Image:
    """Converts modes the codec does not store to the nearest one that it does, with a warning."""
    if im.mode in ("RGB", "L", "RGBA", "LA"):
        return im
    if im.mode == "P" or im.mode == "PA":
        target = "RGBA" if ("transparency" in im.info or im.mode == "PA") else "RGB"
    elif im.mode in ("I;16", "I;16B", "I;16L", "I"):
        warnings.warn(f"mode {im.mode} is stored as 8-bit L (precision above 8 bits is lost)", stacklevel=4)
        array = np.asarray(im, dtype=np.int64)
        shift = 8 if im.mode.startswith("I;16") or array.max(initial=0) > 255 else 0
        return Image.fromarray(np.clip(array >> shift, 0, 255).astype(np.uint8), "L")
    elif im.mode == "1":
        target = "L"
    elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV", "F"):
        target = "RGB" if im.mode != "F" else "L"
    else:
        raise UnsupportedImageError(f"image mode {im.mode} is not supported")
    warnings.warn(f"mode {im.mode} is converted to {target} for encoding", stacklevel=4)
    return im.convert(target)


def to_planar(image) -> PlanarImage:
    """Accepts a PIL image, an HxW/HxWxC uint8 array or a path; applies EXIF orientation."""
    if isinstance(image, (str, Path)):
        im = _open_path(Path(image))
    elif isinstance(image, np.ndarray):
        im = _from_array(image)
    elif isinstance(image, Image.Image):
        im = image
    else:
        raise UnsupportedImageError(f"cannot encode an object of type {type(image).__name__}")
    icc = im.info.get("icc_profile") or None
    im = ImageOps.exif_transpose(im) or im
    im = _normalize_mode(im)
    if im.width < 1 or im.height < 1:
        raise UnsupportedImageError(f"image has no pixels ({im.width}x{im.height})")
    alpha = None
    if im.mode in ("RGBA", "LA"):
        alpha = np.asarray(im.getchannel("A"))
    rgb = np.ascontiguousarray(np.asarray(im.convert("RGB")))
    return PlanarImage(rgb=rgb, mode=im.mode, alpha=alpha, icc_profile=icc)


def from_planar(rgb: np.ndarray, mode: str, alpha: np.ndarray | None, icc_profile: bytes | None) -> Image.Image:
    im = Image.fromarray(rgb, "RGB")
    if mode in ("L", "LA"):
        im = im.convert("L")
    if alpha is not None:
        im.putalpha(Image.fromarray(alpha, "L"))
    if icc_profile:
        im.info["icc_profile"] = icc_profile
    return im


def encode_alpha(alpha: np.ndarray) -> bytes:
    """Lossless alpha plane (PNG)."""
    buffer = io.BytesIO()
    Image.fromarray(alpha, "L").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def decode_alpha(data: bytes, width: int, height: int) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
            if im.size != (width, height) or im.mode != "L":
                raise CorruptStreamError(f"alpha plane is {im.mode} {im.size}, expected L {(width, height)}")
            return np.asarray(im)
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptStreamError(f"alpha plane cannot be decoded: {exc}") from exc
