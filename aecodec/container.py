"""The .aec file format (see docs/FORMAT.md): a fixed header, tagged length-prefixed sections, CRC32.

This module only parses and serializes; it knows nothing about models or pixels.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from aecodec.errors import (
    ChecksumError,
    CorruptStreamError,
    ImageTooLargeError,
    TruncatedStreamError,
    UnsupportedFormatError,
)

MAGIC = b"\x89AEC\r\n\x1a\n"
FORMAT_VERSION = 2  # what this build writes
# Scale rules: how an element's predicted scale picks its Gaussian table on the coder's grid
# (aecodec.entropy.GaussianCoder.snap_scales). "ceil": the smallest grid scale >= the scale; "nearest":
# the nearest grid scale in log domain.
CEIL, NEAREST = "ceil", "nearest"
SCALE_RULES = (CEIL, NEAREST)
# What each readable version means for the latent's tables (docs/FORMAT.md).
SCALE_RULE_OF_VERSION = {1: CEIL, 2: NEAREST}
SCALE_RULE = SCALE_RULE_OF_VERSION[FORMAT_VERSION]  # the rule of the files this build writes
# magic, version, flags, model id, reserved, fingerprint, width, height, mode, reserved, quality
_HEADER = struct.Struct("<8sHHHH8sIIB3sf")
_QUALITY = struct.Struct("<f")  # how the header stores the quality
_RESERVED_TAIL = bytes(3)  # the 3 reserved bytes after the mode
_SECTION = struct.Struct("<4sI")
_CRC = struct.Struct("<I")
HEADER_SIZE = _HEADER.size

MODES = ("RGB", "L", "RGBA", "LA")
MAX_DIMENSION = 1 << 20
MAX_SECTIONS = 16
DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's Image.MAX_IMAGE_PIXELS

# Section tags
HYPER_LATENT = b"ZLAT"
LATENT = b"YLAT"
ALPHA = b"ALPH"
ICC_PROFILE = b"ICCP"
EXIF = b"EXIF"
XMP = b"XMP "
KNOWN_SECTIONS = (HYPER_LATENT, LATENT, ALPHA, ICC_PROFILE, EXIF, XMP)
# Metadata carried for the user, not needed to decode pixels. EXIF and XMP have no header flag: a reader
# that predates them skips them as unknown tags and still decodes the file.
METADATA_SECTIONS = (ICC_PROFILE, EXIF, XMP)
TIFF_BYTE_ORDERS = (b"II*\x00", b"MM\x00*")  # an EXIF payload starts with one of these
# Header flags announce optional sections, so that header-only readers know what the file holds.
FLAG_ALPHA = 1
FLAG_ICC_PROFILE = 2
_FLAG_SECTIONS = ((FLAG_ALPHA, ALPHA), (FLAG_ICC_PROFILE, ICC_PROFILE))


def stored_quality(quality: float) -> float:
    """``quality`` as the header stores it (float32): encoder and decoder derive the gains from this value."""
    return _QUALITY.unpack(_QUALITY.pack(quality))[0]


@dataclass
class Header:
    model_id: int
    fingerprint: bytes
    width: int
    height: int
    mode: str
    quality: float
    version: int = FORMAT_VERSION
    flags: int = 0

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def has_alpha(self) -> bool:
        return bool(self.flags & FLAG_ALPHA)

    @property
    def has_icc_profile(self) -> bool:
        return bool(self.flags & FLAG_ICC_PROFILE)


@dataclass
class Container:
    header: Header
    sections: dict[bytes, bytes] = field(default_factory=dict)


def check_dimensions(width: int, height: int, max_pixels: int | None) -> None:
    """Rejects empty, oversized or bomb-sized images before anything is allocated for them."""
    if width < 1 or height < 1:
        raise CorruptStreamError(f"invalid image size {width}x{height}")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise ImageTooLargeError(f"image size {width}x{height} exceeds the format limit of {MAX_DIMENSION} per side")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(
            f"image size {width}x{height} ({width * height} pixels) exceeds the limit of {max_pixels} pixels; "
            "raise aecodec.MAX_IMAGE_PIXELS (or pass max_pixels) if the file is trusted",
            width, height, max_pixels)


def serialize(container: Container) -> bytes:
    h = container.header
    if h.mode not in MODES:
        raise ValueError(f"mode {h.mode!r} is not one of {MODES}")
    h.flags = sum(flag for flag, tag in _FLAG_SECTIONS if tag in container.sections)
    parts = [
        _HEADER.pack(MAGIC, h.version, h.flags, h.model_id, 0, h.fingerprint, h.width, h.height,
                     MODES.index(h.mode), _RESERVED_TAIL, h.quality)
    ]
    parts.append(struct.pack("<H", len(container.sections)))
    for tag, payload in container.sections.items():
        parts.append(_SECTION.pack(tag, len(payload)))
        parts.append(payload)
    body = b"".join(parts)
    return body + _CRC.pack(zlib.crc32(body))


def looks_like_aec(prefix: bytes) -> bool:
    return prefix[: len(MAGIC)] == MAGIC


def parse_header(data: bytes, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Header:
    """Reads and checks the fixed header only (no checksum: the rest may not be there yet)."""
    if len(data) < len(MAGIC) or not looks_like_aec(data):
        raise UnsupportedFormatError("not an .aec file (bad magic bytes)")
    if len(data) < HEADER_SIZE:
        raise TruncatedStreamError(f"file ends inside the header ({len(data)} of {HEADER_SIZE} bytes)")
    magic, version, flags, model_id, reserved, fingerprint, width, height, mode, reserved_tail, quality = (
        _HEADER.unpack_from(data))
    if version not in SCALE_RULE_OF_VERSION:
        readable = " and ".join(str(v) for v in SCALE_RULE_OF_VERSION)
        raise UnsupportedFormatError(f"format version {version} is not supported (this build reads {readable})")
    if reserved or reserved_tail != _RESERVED_TAIL:
        raise CorruptStreamError(f"reserved header fields must be zero, got {reserved:#x} at offset 14 and "
                                 f"{reserved_tail.hex()} at offset 33")
    if flags & ~(FLAG_ALPHA | FLAG_ICC_PROFILE):
        raise CorruptStreamError(f"unknown header flags {flags:#x}")
    if mode >= len(MODES):
        raise CorruptStreamError(f"unknown image mode code {mode}")
    if not (1.0 <= quality <= 100.0):
        raise CorruptStreamError(f"quality {quality} outside [1, 100]")
    check_dimensions(width, height, max_pixels)
    return Header(model_id=model_id, fingerprint=fingerprint, width=width, height=height, mode=MODES[mode],
                  quality=quality, version=version, flags=flags)


def parse(data: bytes, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Container:
    """Header, checksum and section table; every length is checked against the data before use."""
    data = bytes(data)
    if len(data) < len(MAGIC) or not looks_like_aec(data):
        raise UnsupportedFormatError("not an .aec file (bad magic bytes)")
    if len(data) < HEADER_SIZE + 2 + _CRC.size:
        raise TruncatedStreamError(f"file too short ({len(data)} bytes) to hold a header and section table")
    (stored_crc,) = _CRC.unpack_from(data, len(data) - _CRC.size)
    if zlib.crc32(memoryview(data)[: len(data) - _CRC.size]) != stored_crc:
        raise ChecksumError("checksum mismatch: the file is corrupted or truncated")
    header, table = scan(io.BytesIO(data), max_pixels)
    sections = {tag: data[offset : offset + length] for tag, (offset, length) in table.items()}
    if EXIF in sections and sections[EXIF][:4] not in TIFF_BYTE_ORDERS:
        raise CorruptStreamError("EXIF section does not start with a TIFF header (II*\\0 or MM\\0*)")
    return Container(header=header, sections=sections)


def scan(fp: BinaryIO, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> tuple[Header, dict[bytes, tuple[int, int]]]:
    """Header and section table of a seekable file positioned at its start, without reading the payloads.

    Returns the header and, per known tag, the (offset, length) of its payload. Every length is checked
    against the file's size; the checksum is not (that needs every byte: use ``parse``).
    """
    start = fp.tell()
    size = fp.seek(0, io.SEEK_END) - start
    fp.seek(start)
    head = fp.read(HEADER_SIZE + 2)
    header = parse_header(head, max_pixels)
    if len(head) < HEADER_SIZE + 2:
        raise TruncatedStreamError("file ends before the section table")
    (count,) = struct.unpack_from("<H", head, HEADER_SIZE)
    if count > MAX_SECTIONS:
        raise CorruptStreamError(f"{count} sections is more than the format allows ({MAX_SECTIONS})")
    offset, end = HEADER_SIZE + 2, size - _CRC.size
    table: dict[bytes, tuple[int, int]] = {}
    for _ in range(count):
        if offset + _SECTION.size > end:
            raise TruncatedStreamError("file ends inside a section header")
        fp.seek(start + offset)
        tag, length = _SECTION.unpack(fp.read(_SECTION.size))
        offset += _SECTION.size
        if length > end - offset:
            raise TruncatedStreamError(f"section {tag!r} claims {length} bytes, only {end - offset} remain")
        if tag in table:
            raise CorruptStreamError(f"section {tag!r} appears twice")
        if tag in KNOWN_SECTIONS:
            table[tag] = (offset, length)
        offset += length
    if offset != end:
        raise CorruptStreamError(f"{end - offset} unexpected bytes after the last section")
    for required in (HYPER_LATENT, LATENT):
        if required not in table:
            raise CorruptStreamError(f"required section {required.decode()} is missing")
    for flag, tag in _FLAG_SECTIONS:
        if bool(header.flags & flag) != (tag in table):
            raise CorruptStreamError(f"header flags and sections disagree about {tag.decode()}")
    fp.seek(start)
    return header, table
