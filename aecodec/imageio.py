"""Turning what users hand us (PIL images, numpy arrays, encoded bytes, files, paths) into RGB + alpha
planes and metadata, and back."""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from aecodec.container import TIFF_BYTE_ORDERS, check_dimensions
from aecodec.errors import AecodecError, CorruptStreamError, ImageTooLargeError, UnsupportedImageError


@dataclass
class PlanarImage:
    """An image split the way the codec stores it."""

    rgb: np.ndarray  # HxWx3 uint8, C-contiguous
    mode: str  # one of container.MODES: what decode gives back
    alpha: np.ndarray | None = None  # HxW uint8
    icc_profile: bytes | None = None
    exif: bytes | None = None  # TIFF-structured EXIF (no "Exif\\0\\0" prefix), orientation already applied
    xmp: bytes | None = None  # the XMP packet, UTF-8

    def strip(self, kinds) -> None:
        """Drops the metadata ``kinds`` (among "exif", "icc", "xmp")."""
        for kind in kinds:
            setattr(self, {"exif": "exif", "icc": "icc_profile", "xmp": "xmp"}[kind], None)

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


def _open_file(source, name: str, max_pixels: int | None = None) -> Image.Image:
    """Opens and loads an encoded image from a path or a binary file object, refusing it from its header's
    size, before its pixels are decoded, when it has more than ``max_pixels`` (None: no limit here; Pillow's
    own ``Image.MAX_IMAGE_PIXELS`` still applies, as to any file Pillow opens)."""
    try:
        im = Image.open(source)
        with im:
            check_dimensions(im.width, im.height, max_pixels)
            im.load()
            return im
    except (FileNotFoundError, AecodecError):
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit (PIL.Image.MAX_IMAGE_PIXELS) applies too
        raise ImageTooLargeError(f"cannot read image {name}: {exc}; raise PIL.Image.MAX_IMAGE_PIXELS as well "
                                 "if the file is trusted") from exc
    except Image.UnidentifiedImageError as exc:  # its message holds the repr of Pillow's file object
        raise UnsupportedImageError(f"cannot read image {name}: not an image format this Pillow can open") from exc
    except (OSError, Image.DecompressionBombError, ValueError, SyntaxError) as exc:
        raise UnsupportedImageError(f"cannot read image {name}: {exc}") from exc


EXIF_PREFIX = b"Exif\x00\x00"  # what Pillow's JPEG reader puts before the TIFF structure in info["exif"]


def readable_suffixes() -> set[str]:
    """File name extensions (lower case, with the dot) of the image formats this Pillow can open, plugins
    included, except .aec itself: what the CLI, the benchmarks and the classic family take from folders."""
    from aecodec.pillow_plugin import FORMAT_ID

    return {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN and fmt != FORMAT_ID}


def bare_exif(value) -> bytes | None:
    """EXIF as a bare TIFF structure, from Pillow's ``info["exif"]`` bytes (with or without the
    "Exif\\0\\0" prefix) or an ``Image.Exif``; None when it is not EXIF."""
    value = value.tobytes() if isinstance(value, Image.Exif) else bytes(value)
    if value.startswith(EXIF_PREFIX):
        value = value[len(EXIF_PREFIX):]
    return value if value[:4] in TIFF_BYTE_ORDERS else None


def _exif_of(im: Image.Image) -> bytes | None:
    """The image's EXIF as a bare TIFF structure, or None (with a warning when it is malformed)."""
    if not im.info.get("exif"):
        return None
    exif = bare_exif(im.info["exif"])
    if exif is None:
        warnings.warn("the image's EXIF data is malformed and is not kept", stacklevel=4)
    return exif


def _xmp_of(im: Image.Image) -> bytes | None:
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")  # JPEG/WebP give bytes, PNG a str
    if not xmp:
        return None
    return xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp)


def _normalize_mode(im: Image.Image) -> Image.Image:
    """Converts modes the codec does not store to the nearest one that it does, with a warning.

    A transparent colour key (PNG tRNS of an RGB or L image, ``info["transparency"]``) becomes an alpha
    plane, as palette transparency does.
    """
    if im.mode in ("RGB", "L") and "transparency" in im.info:
        target = im.mode + "A" if im.mode == "L" else "RGBA"
        warnings.warn(f"mode {im.mode} with a transparent colour key is stored as {target}", stacklevel=4)
        return im.convert(target)
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
    elif im.mode == "F":
        array = np.asarray(im, dtype=np.float64)
        warnings.warn(f"mode F is converted to 8-bit L by rounding and clipping to 0-255 (its values span "
                      f"{array.min():g} to {array.max():g})", stacklevel=4)
        return Image.fromarray(np.clip(np.rint(np.nan_to_num(array)), 0, 255).astype(np.uint8), "L")
    elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        target = "RGB"
    else:
        raise UnsupportedImageError(f"image mode {im.mode} is not supported")
    warnings.warn(f"mode {im.mode} is converted to {target} for encoding", stacklevel=4)
    return im.convert(target)


def _icc_colour_space(profile: bytes) -> str | None:
    """The data colour space an ICC profile's header names ("RGB", "GRAY", "CMYK", ...), or None when the
    header is not an ICC one (such a profile is carried as it is)."""
    if len(profile) < 128 or profile[36:40] != b"acsp":
        return None
    return profile[16:20].decode("ascii", "replace").strip() or None


def to_planar(image, max_pixels: int | None = None) -> PlanarImage:
    """Accepts a PIL image, an HxW/HxWxC uint8 array, the bytes of an image file (bytes or bytes-like),
    a binary file object or a path; applies EXIF orientation and keeps ICC, EXIF and XMP metadata (an
    ICC profile not where it names another colour space than the stored pixels', as a CMYK image's does).

    Images with more than ``max_pixels`` are refused (ImageTooLargeError); encoded ones from their header,
    before decoding."""
    in_memory = isinstance(image, (np.ndarray, Image.Image))  # encoded ones are checked before decoding
    if isinstance(image, (str, os.PathLike)):
        im = _open_file(Path(image), str(image), max_pixels)
    elif isinstance(image, np.ndarray):
        im = _from_array(image)
    elif isinstance(image, Image.Image):
        im = image
    elif isinstance(image, (bytes, bytearray, memoryview)):
        im = _open_file(io.BytesIO(image), "from bytes", max_pixels)
    elif hasattr(image, "read"):
        if isinstance(image.read(0), str):
            raise UnsupportedImageError("file objects must be opened in binary mode")
        im = _open_file(image, getattr(image, "name", "from a file object"), max_pixels)
    else:
        raise UnsupportedImageError(f"cannot encode an object of type {type(image).__name__}")
    icc = im.info.get("icc_profile") or None
    im = ImageOps.exif_transpose(im) or im  # drops the orientation from the EXIF and XMP it keeps
    exif, xmp = _exif_of(im), _xmp_of(im)
    im = _normalize_mode(im)
    space = _icc_colour_space(icc) if icc else None
    if space is not None and space != ("GRAY" if im.mode in ("L", "LA") else "RGB"):
        warnings.warn(f"the ICC profile is for {space} data, not the {im.mode} pixels stored, and is not kept",
                      stacklevel=3)
        icc = None
    if im.width < 1 or im.height < 1:
        raise UnsupportedImageError(f"image has no pixels ({im.width}x{im.height})")
    if in_memory:
        check_dimensions(im.width, im.height, max_pixels)
    alpha = None
    if im.mode in ("RGBA", "LA"):
        alpha = np.asarray(im.getchannel("A"))
    rgb = np.ascontiguousarray(np.asarray(im.convert("RGB")))
    return PlanarImage(rgb=rgb, mode=im.mode, alpha=alpha, icc_profile=icc, exif=exif, xmp=xmp)


def from_planar(rgb: np.ndarray, mode: str, alpha: np.ndarray | None, icc_profile: bytes | None,
                exif: bytes | None = None, xmp: bytes | None = None) -> Image.Image:
    """The decoded image, with its metadata in ``info`` under Pillow's keys (icc_profile, exif, xmp)."""
    im = Image.fromarray(rgb, "RGB")
    if mode in ("L", "LA"):
        im = im.convert("L")
    if alpha is not None:
        im.putalpha(Image.fromarray(alpha, "L"))
    if icc_profile:
        im.info["icc_profile"] = icc_profile
    if exif:
        im.info["exif"] = EXIF_PREFIX + exif
    if xmp:
        im.info["xmp"] = xmp
    return im


def save_params(im: Image.Image, fmt: str) -> dict:
    """Keyword arguments that make ``im.save(..., format=fmt)`` write the metadata in ``im.info``."""
    params = {key: im.info[key] for key in ("icc_profile", "exif") if im.info.get(key)}
    if im.info.get("xmp"):
        if fmt == "PNG":  # Pillow writes PNG XMP only as this iTXt chunk
            from PIL.PngImagePlugin import PngInfo

            chunks = PngInfo()
            chunks.add_itxt("XML:com.adobe.xmp", im.info["xmp"].decode("utf-8", "replace"))
            params["pnginfo"] = chunks
        else:
            params["xmp"] = im.info["xmp"]
    return params


def encode_alpha(alpha: np.ndarray) -> bytes:
    """Lossless alpha plane (PNG)."""
    buffer = io.BytesIO()
    Image.fromarray(alpha, "L").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR = struct.Struct(">I4sIIxB")  # chunk length, chunk type, width, height, (bit depth), colour type


def decode_alpha(data: bytes, width: int, height: int) -> np.ndarray:
    """The alpha plane of an ALPH section: an 8-bit grayscale PNG of the image's size.

    Its header is checked before Pillow sees the data, so that a PNG claiming a huge size fails here
    (CorruptStreamError) instead of tripping Pillow's decompression-bomb check or allocating.
    """
    if data[: len(PNG_SIGNATURE)] != PNG_SIGNATURE or len(data) < len(PNG_SIGNATURE) + _IHDR.size:
        raise CorruptStreamError("alpha plane is not a PNG")
    length, chunk, png_width, png_height, colour = _IHDR.unpack_from(data, len(PNG_SIGNATURE))
    if chunk != b"IHDR" or length != 13:
        raise CorruptStreamError("alpha plane PNG does not start with its header chunk")
    if (png_width, png_height) != (width, height) or colour != 0:
        raise CorruptStreamError(f"alpha plane is a {png_width}x{png_height} PNG of colour type {colour}; "
                                 f"expected {width}x{height} grayscale")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
            if im.size != (width, height) or im.mode != "L":
                raise CorruptStreamError(f"alpha plane is {im.mode} {im.size}, expected L {(width, height)}")
            return np.asarray(im)
    except Image.DecompressionBombError as exc:  # only when aecodec's pixel limit was raised above Pillow's
        raise CorruptStreamError(f"alpha plane refused by Pillow ({exc}); raise PIL.Image.MAX_IMAGE_PIXELS "
                                 "as well to decode it") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptStreamError(f"alpha plane cannot be decoded: {exc}") from exc
