"""aecodec.imageio helpers that have no home in the API tests."""

from aecodec.imageio import readable_suffixes


def test_readable_suffixes_are_what_pillow_opens_except_aec():
    suffixes = readable_suffixes()
    assert {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp"} <= suffixes
    assert ".aec" not in suffixes
    assert all(s == s.lower() and s.startswith(".") for s in suffixes)
