"""The .aec container: parsing, checksums, caps, hostile bytes."""

import struct
import zlib

import numpy as np
import pytest

import aecodec
from aecodec import container
from aecodec.errors import (
    AecodecError, ChecksumError, CorruptStreamError, ImageTooLargeError, ModelMismatchError,
    TruncatedStreamError, UnsupportedFormatError,
)
from conftest import TEST_DATA


def _reseal(body: bytes) -> bytes:
    """Recomputes the CRC so that a deliberately edited file passes the checksum."""
    body = body[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


def _with_header_field(data: bytes, offset: int, fmt: str, value) -> bytes:
    edited = bytearray(data)
    struct.pack_into(fmt, edited, offset, value)
    return _reseal(bytes(edited))


@pytest.fixture(scope="module")
def small_file(tiny_codec, photo) -> bytes:
    return tiny_codec.encode(photo[:24, :40], quality=70)


def test_serialize_parse_round_trip():
    header = container.Header(model_id=3, fingerprint=b"12345678", width=17, height=9, mode="LA", quality=42.5)
    sections = {container.HYPER_LATENT: b"zz", container.LATENT: b"yyy", container.ALPHA: b"a"}
    parsed = container.parse(container.serialize(container.Container(header, sections)))
    assert parsed.header == header
    assert parsed.sections == sections


def test_header_layout_is_documented_size():
    assert container.HEADER_SIZE == 40


def test_truncation_at_every_byte_raises(tiny_codec, small_file):
    for cut in range(len(small_file)):
        with pytest.raises(AecodecError):
            tiny_codec.decode(small_file[:cut])


def test_random_bit_flips_raise(tiny_codec, small_file):
    rng = np.random.default_rng(1)
    for _ in range(500):
        flipped = bytearray(small_file)
        position = rng.integers(len(flipped) * 8)
        flipped[position // 8] ^= 1 << (position % 8)
        with pytest.raises(AecodecError):
            tiny_codec.decode(bytes(flipped))


def test_resealed_corruption_of_streams_never_crashes(tiny_codec, small_file):
    """Damage behind a valid checksum reaches the entropy decoder: it must fail cleanly or decode."""
    rng = np.random.default_rng(2)
    for _ in range(300):
        edited = bytearray(small_file)
        for _ in range(rng.integers(1, 4)):
            position = rng.integers(container.HEADER_SIZE + 2, len(edited) - 4)
            edited[position] = rng.integers(256)
        try:
            image = tiny_codec.decode(_reseal(bytes(edited)))
        except AecodecError:
            continue
        assert image.size == (40, 24)


def test_checksum_and_magic_errors(tiny_codec, small_file):
    with pytest.raises(UnsupportedFormatError, match="not an .aec file"):
        tiny_codec.decode(b"\x89PNG\r\n\x1a\n" + small_file[8:])
    with pytest.raises(ChecksumError, match="checksum"):
        tiny_codec.decode(small_file[:-1] + bytes([small_file[-1] ^ 1]))
    with pytest.raises(AecodecError):
        tiny_codec.decode(b"")


def test_version_and_mode_checked(tiny_codec, small_file):
    with pytest.raises(UnsupportedFormatError, match="format version 9"):
        tiny_codec.decode(_with_header_field(small_file, 8, "<H", 9))
    with pytest.raises(CorruptStreamError, match="mode"):
        tiny_codec.decode(_with_header_field(small_file, 32, "<B", 7))


@pytest.mark.parametrize("offset, fmt, value", [(14, "<H", 1), (14, "<H", 0x8000), (33, "<B", 1), (34, "<B", 0x80),
                                                (35, "<B", 0xFF)])
def test_reserved_header_fields_must_be_zero(tiny_codec, small_file, offset, fmt, value):
    """docs/FORMAT.md: the u16 at offset 14 and the bytes at 33-35 are reserved, 0."""
    edited = _with_header_field(small_file, offset, fmt, value)
    with pytest.raises(CorruptStreamError, match="reserved header fields must be zero"):
        tiny_codec.decode(edited)
    with pytest.raises(CorruptStreamError, match="reserved header fields must be zero"):
        aecodec.info(edited)
    assert small_file[14:16] == b"\0\0" and small_file[33:36] == b"\0\0\0"


def test_bomb_limit_checked_before_decoding(tiny_codec, small_file):
    huge = _with_header_field(_with_header_field(small_file, 24, "<I", 200_000), 28, "<I", 100_000)
    with pytest.raises(ImageTooLargeError, match="exceeds the limit"):
        tiny_codec.decode(huge)
    with pytest.raises(ImageTooLargeError, match="format limit"):
        container.check_dimensions(1 << 21, 1, None)


def test_bomb_limit_is_configurable(tiny_codec, small_file, monkeypatch):
    monkeypatch.setattr(aecodec, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageTooLargeError, match="MAX_IMAGE_PIXELS"):
        tiny_codec.decode(small_file)
    assert (aecodec.info(small_file).width, aecodec.info(small_file).height) == (40, 24)  # reads, decodes nothing
    monkeypatch.setattr(aecodec, "MAX_IMAGE_PIXELS", None)
    assert tiny_codec.decode(small_file).size == (40, 24)


def test_section_length_beyond_data(small_file):
    edited = bytearray(small_file)
    struct.pack_into("<I", edited, container.HEADER_SIZE + 2 + 4, 10_000_000)
    with pytest.raises(TruncatedStreamError, match="claims 10000000 bytes"):
        container.parse(_reseal(bytes(edited)))


def test_model_mismatch_is_reported(codec, small_file):
    with pytest.raises(ModelMismatchError, match="weights"):
        codec.decode(small_file)
    with pytest.raises(ModelMismatchError, match="unknown to this aecodec"):
        aecodec.decode(_with_header_field(small_file, 12, "<H", 999))


@pytest.mark.parametrize("version", sorted(container.SCALE_RULE_OF_VERSION))
def test_golden_file_keeps_decoding(tiny_codec, version):
    """A file written by any format version this build reads must keep decoding to the very same pixels."""
    from PIL import Image

    data = (TEST_DATA / f"golden_tiny_v{version}.aec").read_bytes()
    assert container.parse_header(data).version == version
    decoded = np.asarray(tiny_codec.decode(data))
    expected = np.asarray(Image.open(TEST_DATA / f"golden_tiny_v{version}_decoded.png"))
    np.testing.assert_array_equal(decoded, expected)


def test_metadata_sections_round_trip_without_new_flags():
    """EXIF and XMP are optional sections without header flags: readers that predate them skip them."""
    header = container.Header(model_id=1, fingerprint=b"12345678", width=4, height=4, mode="RGB", quality=50.0)
    sections = {container.HYPER_LATENT: b"z", container.LATENT: b"y", container.ICC_PROFILE: b"icc",
                container.EXIF: b"II*\x00\x08\x00\x00\x00\x00\x00", container.XMP: b"<x:xmpmeta/>"}
    data = container.serialize(container.Container(header, sections))
    parsed = container.parse(data)
    assert parsed.sections == sections and parsed.header.flags == container.FLAG_ICC_PROFILE
    # what a reader without EXIF/XMP support sees: the same header and the sections it knows
    old_view = {tag: payload for tag, payload in parsed.sections.items()
                if tag in (container.HYPER_LATENT, container.LATENT, container.ALPHA, container.ICC_PROFILE)}
    assert container.parse(container.serialize(container.Container(header, old_view))).header == parsed.header


def test_malformed_exif_section_is_rejected():
    header = container.Header(model_id=1, fingerprint=b"12345678", width=4, height=4, mode="RGB", quality=50.0)
    sections = {container.HYPER_LATENT: b"z", container.LATENT: b"y", container.EXIF: b"not tiff"}
    with pytest.raises(CorruptStreamError, match="EXIF"):
        container.parse(container.serialize(container.Container(header, sections)))


def test_scan_reads_the_table_of_a_file(small_file):
    import io

    header, table = container.scan(io.BytesIO(small_file))
    assert header == container.parse_header(small_file)
    for tag, (offset, length) in table.items():
        assert container.parse(small_file).sections[tag] == small_file[offset : offset + length]
    with pytest.raises(TruncatedStreamError):
        container.scan(io.BytesIO(small_file[: len(small_file) // 2]))


def test_corrupt_stream_errors_are_oserrors():
    """Pillow users catch OSError for broken files."""
    for error in (CorruptStreamError, TruncatedStreamError, ChecksumError, UnsupportedFormatError):
        assert issubclass(error, OSError) and issubclass(error, ValueError) and issubclass(error, AecodecError)


def test_format_knowledge_has_one_home():
    """Scale rules by version and the stored quality live in container; the grid's lowest scale in the
    entropy package, which the model's priors import (and which imports no torch)."""
    import subprocess
    import sys

    from aecodec.entropy import default_gaussian_coder, gaussian
    from aecodec.nn import priors

    assert gaussian.SCALE_RULES is container.SCALE_RULES
    assert set(container.SCALE_RULE_OF_VERSION.values()) == set(container.SCALE_RULES)
    assert container.SCALE_RULE == container.SCALE_RULE_OF_VERSION[container.FORMAT_VERSION]
    assert priors.SCALE_BOUND is gaussian.SCALE_BOUND
    assert default_gaussian_coder().scale_grid[0] == np.float32(gaussian.SCALE_BOUND)
    header = container.Header(model_id=1, fingerprint=bytes(8), width=1, height=1, mode="RGB", quality=33.3)
    stored = container.parse_header(container.serialize(container.Container(header, {})), None).quality
    assert stored == container.stored_quality(33.3) != 33.3
    code = "import sys, aecodec.entropy; assert 'torch' not in sys.modules, 'aecodec.entropy imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)
