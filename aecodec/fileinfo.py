"""What an .aec file holds, read without the model (no torch import): ``aecodec.info`` and ``aecodec info``."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from aecodec import container, releases


def max_image_pixels() -> int | None:
    """The decompression-bomb limit in force: ``aecodec.MAX_IMAGE_PIXELS``, settable by users."""
    import aecodec

    return getattr(aecodec, "MAX_IMAGE_PIXELS", container.DEFAULT_MAX_PIXELS)


def read_bytes(data) -> bytes:
    """The bytes of ``data``: bytes or any bytes-like object, a binary file object (read from its
    current position), or a path (str or os.PathLike)."""
    if isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as f:
            return f.read()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if hasattr(data, "read"):
        # A text-mode file is refused before reading, which would fail to decode the binary data.
        if isinstance(data.read(0), str):
            raise TypeError("file objects must be opened in binary mode")
        chunk = data.read()
        if not isinstance(chunk, (bytes, bytearray)):
            raise TypeError("file objects must be opened in binary mode")
        return bytes(chunk)
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise TypeError(f"expected bytes, a bytes-like object, a binary file or a path, got "
                        f"{type(data).__name__}") from None


# Metadata kinds, as named by the API and the command line, and the sections that carry them.
METADATA_KINDS = {"exif": container.EXIF, "icc": container.ICC_PROFILE, "xmp": container.XMP}


@dataclass(frozen=True)
class ImageInfo:
    """What the header and section table of an .aec file say, read without decoding."""

    width: int
    height: int
    mode: str
    quality: float
    model_id: int
    model_name: str | None
    fingerprint: str
    format_version: int
    has_alpha: bool
    has_icc_profile: bool
    file_size: int
    has_exif: bool = False
    has_xmp: bool = False
    release: str | None = None  # the release whose weights wrote the file (see aecodec.releases)
    development: bool = False  # written by development weights this package holds (no release)

    @property
    def bpp(self) -> float:
        return 8 * self.file_size / (self.width * self.height)

    @property
    def metadata(self) -> tuple[str, ...]:
        """The metadata kinds the file carries, among "exif", "icc" and "xmp"."""
        present = {"exif": self.has_exif, "icc": self.has_icc_profile, "xmp": self.has_xmp}
        return tuple(kind for kind, there in present.items() if there)

    @property
    def origin(self) -> releases.WeightsOrigin:
        """The model and weights that wrote the file and their release; str() describes it in one line."""
        return releases.WeightsOrigin(self.model_id, self.model_name, self.fingerprint, self.release,
                                      self.development)

    def as_dict(self) -> dict:
        return {**asdict(self), "bpp": round(self.bpp, 6), "metadata": list(self.metadata)}


def info(data) -> ImageInfo:
    """Reads an .aec file (bytes, bytes-like, binary file or path): header, section table and checksum.

    Decodes nothing and needs neither the model nor torch; a damaged or truncated file raises the
    matching ``AecodecError``. It allocates nothing for the pixels, so it reports images above the
    decompression-bomb limit too (decoding them is refused).
    """
    data = read_bytes(data)
    parsed = container.parse(data, max_pixels=None)
    h = parsed.header
    origin = releases.describe(h.model_id, h.fingerprint)
    return ImageInfo(
        width=h.width, height=h.height, mode=h.mode, quality=round(h.quality, 4), model_id=h.model_id,
        model_name=origin.model_name, fingerprint=h.fingerprint.hex(), format_version=h.version,
        has_alpha=h.has_alpha, has_icc_profile=h.has_icc_profile, file_size=len(data),
        has_exif=container.EXIF in parsed.sections, has_xmp=container.XMP in parsed.sections,
        release=origin.release, development=origin.development,
    )
