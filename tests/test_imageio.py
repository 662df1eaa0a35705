"""aecodec.imageio helpers that have no home in the API tests."""

import struct
import warnings

import numpy as np
import pytest
from PIL import Image

from aecodec import ImageTooLargeError, UnsupportedImageError
from aecodec.imageio import readable_suffixes, to_planar
from conftest import png_claiming_size


def test_readable_suffixes_are_what_pillow_opens_except_aec():
    suffixes = readable_suffixes()
    assert {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp"} <= suffixes
    assert ".aec" not in suffixes
    assert all(s == s.lower() and s.startswith(".") for s in suffixes)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own, from the header
def test_oversized_images_are_refused_from_their_header_before_decoding(tmp_path):
    bomb = png_claiming_size(10_000, 9_000)
    with pytest.raises(ImageTooLargeError, match="10000x9000"):
        to_planar(bomb, max_pixels=50_000_000)
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    with pytest.raises(ImageTooLargeError) as refused:
        to_planar(path, max_pixels=10_000)
    assert (refused.value.width, refused.value.height, refused.value.limit) == (10_000, 9_000, 10_000)
    # within the limit the same file is decoded, and its broken pixel data is reported as such
    with pytest.raises(UnsupportedImageError, match="cannot read image"):
        to_planar(path, max_pixels=None)


def test_pillows_own_limit_is_an_image_too_large_error():
    with pytest.raises(ImageTooLargeError, match="PIL.Image.MAX_IMAGE_PIXELS"):
        to_planar(png_claiming_size(20_000, 9_000), max_pixels=None)  # above twice Pillow's default


def _icc_header(colour_space: bytes) -> bytes:
    """The 128-byte header of an ICC profile for ``colour_space`` data (b"CMYK", b"RGB ", b"GRAY")."""
    header = bytearray(128)
    struct.pack_into(">I", header, 0, 128)
    header[16:20] = colour_space
    header[36:40] = b"acsp"
    return bytes(header)


@pytest.mark.parametrize("mode, profile_space, kept", [
    ("CMYK", b"CMYK", False), ("RGB", b"RGB ", True), ("L", b"GRAY", True), ("RGB", b"GRAY", False)])
def test_an_icc_profile_is_kept_only_for_the_colour_space_it_describes(mode, profile_space, kept):
    image = Image.new(mode, (8, 8))
    image.info["icc_profile"] = _icc_header(profile_space)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        planar = to_planar(image)
    assert (planar.icc_profile is not None) == kept
    assert any("ICC profile is for" in str(w.message) for w in caught) == (not kept)


def test_a_profile_that_is_not_icc_is_carried_as_it_is():
    image = Image.new("RGB", (8, 8))
    image.info["icc_profile"] = b"not parsed"
    assert to_planar(image).icc_profile == b"not parsed"


def test_float_images_warn_with_the_range_they_lose():
    image = Image.fromarray(np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8), "F")
    with pytest.warns(UserWarning, match="clipping to 0-255 \\(its values span 0 to 1\\)"):
        planar = to_planar(image)
    assert planar.mode == "L" and planar.rgb.max() == 1
