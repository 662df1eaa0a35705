"""The Pillow plugin: Image.open reads the header only; load decodes; save encodes."""

import io

import numpy as np
import pytest
from PIL import Image

import aecodec
from aecodec import container, models


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_open_reads_only_the_header_and_section_table(codec_fp32, photo):
    data = codec_fp32.encode(photo, quality=50)
    reader = CountingReader(data)
    im = Image.open(reader)
    assert im.format == "AEC" and im.size == (photo.shape[1], photo.shape[0]) and im.mode == "RGB"
    # Pillow's 16-byte prefix, the header, the section count and the two section headers
    assert reader.bytes_read <= 16 + container.HEADER_SIZE + 2 + 2 * 8 < len(data)
    im.load()
    np.testing.assert_array_equal(np.asarray(im), np.asarray(aecodec.decode(data)))


def test_save_and_open_by_extension(tmp_path, photo):
    path = tmp_path / "x.aec"
    Image.fromarray(photo).save(path, quality=40)
    assert aecodec.info(path.read_bytes()).quality == 40
    with Image.open(path) as im:
        assert im.format == "AEC"
        assert np.asarray(im.convert("RGB")).shape == photo.shape


def test_rgba_through_pillow(tmp_path, photo):
    image = Image.fromarray(photo).convert("RGBA")
    image.putalpha(128)
    path = tmp_path / "a.aec"
    image.save(path)
    with Image.open(path) as im:
        assert im.mode == "RGBA"
        assert set(np.asarray(im)[..., 3].ravel()) == {128}


def test_other_formats_unaffected(photo):
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    buffer.seek(0)
    assert Image.open(buffer).format == "PNG"


def test_save_passes_effort(tmp_path, photo):
    plain, refined = io.BytesIO(), io.BytesIO()
    Image.fromarray(photo).save(plain, format="AEC", quality=40)
    Image.fromarray(photo).save(refined, format="AEC", quality=40, effort=1)
    assert refined.getvalue() == aecodec.encode(photo, quality=40, effort=1) != plain.getvalue()


def _photo_with_metadata(photo):
    """JPEG bytes of ``photo`` carrying EXIF (Make, DateTime), an sRGB ICC profile and XMP."""
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x010F] = "TestMake"
    exif[0x0132] = "2024:05:06 07:08:09"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="JPEG", quality=95, exif=exif, icc_profile=icc,
                                xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    return buffer.getvalue(), icc


def test_metadata_is_in_info_at_open(photo):
    jpeg, icc = _photo_with_metadata(photo[:48, :64])
    data = aecodec.encode(jpeg, quality=30)
    reader = CountingReader(data)
    im = Image.open(reader)
    assert im.info["icc_profile"] == icc
    assert im.getexif()[0x010F] == "TestMake" and im.getexif()[0x0132] == "2024:05:06 07:08:09"
    assert im.info["xmp"] == b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    _, table = container.scan(io.BytesIO(data))
    coded = table[container.LATENT][1] + table[container.HYPER_LATENT][1]
    assert reader.bytes_read <= 16 + len(data) - 4 - coded  # Pillow's prefix, all but the streams and CRC


def test_save_honours_metadata_keywords(photo):
    jpeg, icc = _photo_with_metadata(photo[:48, :64])
    with Image.open(io.BytesIO(jpeg)) as source:
        kept, stripped, replaced = io.BytesIO(), io.BytesIO(), io.BytesIO()
        source.save(kept, format="AEC", quality=30)
        source.save(stripped, format="AEC", quality=30, exif=None, icc_profile=None)
        other = Image.Exif()
        other[0x010F] = "OtherMake"
        source.save(replaced, format="AEC", quality=30, exif=other)
    assert aecodec.info(kept.getvalue()).metadata == ("exif", "icc", "xmp")
    assert aecodec.info(stripped.getvalue()).metadata == ("xmp",)
    with Image.open(replaced) as im:
        assert im.getexif()[0x010F] == "OtherMake" and im.info["icc_profile"] == icc


def test_invalid_files_are_unidentified_and_damage_is_an_oserror(photo):
    from PIL import UnidentifiedImageError

    data = aecodec.encode(photo[:48, :64], quality=30)
    for bad in (b"\x89AEC\r\n\x1a\n" + bytes(60), data[:41], data[: len(data) // 2], data[:-1]):
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(bad))
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x10  # inside the latent stream: the structure is intact, the CRC is not
    with Image.open(io.BytesIO(bytes(damaged))) as im:
        with pytest.raises(OSError, match="checksum"):
            im.load()
    with Image.open(io.BytesIO(bytes(damaged))) as im:
        with pytest.raises(OSError, match="checksum"):
            im.verify()
    with Image.open(io.BytesIO(data)) as im:
        im.verify()


def test_incremental_parser_in_small_chunks(photo):
    from PIL import ImageFile

    data = aecodec.encode(photo[:48, :64], quality=30)
    parser = ImageFile.Parser()
    for start in range(0, len(data), 7):
        parser.feed(data[start : start + 7])
    im = parser.close()
    assert im.format == "AEC"
    np.testing.assert_array_equal(np.asarray(im), np.asarray(aecodec.decode(data)))


def test_registered_extension():
    assert Image.registered_extensions()[".aec"] == "AEC"
    assert Image.MIME["AEC"] == "image/x-aec"


def _edited(data: bytes, **fields) -> bytes:
    """The file with header ``fields`` changed, sealed with a valid checksum again."""
    parsed = container.parse(data)
    for name, value in fields.items():
        setattr(parsed.header, name, value)
    return container.serialize(parsed)


def test_errors_found_by_load_are_oserrors(photo, monkeypatch):
    """A file of an unknown model or weights once escaped load() as ModelMismatchError, not an OSError."""
    data = aecodec.encode(photo[:16, :24], quality=30)
    for fields, message in ((dict(model_id=3), "model id 3, unknown to this aecodec"),
                            (dict(fingerprint=bytes(8)),
                             f"weights 0000000000000000 of model {models.DEFAULT_MODEL_ID}")):
        hostile = _edited(data, **fields)
        with Image.open(io.BytesIO(hostile)) as im:  # the header is valid: open succeeds
            im.verify()
        with Image.open(io.BytesIO(hostile)) as im:
            with pytest.raises(OSError, match=message) as raised:
                im.load()
        assert isinstance(raised.value.__cause__, aecodec.ModelMismatchError)
    # Above aecodec's pixel limit: Pillow's own decompression-bomb error, as Pillow raises for its formats.
    monkeypatch.setattr(aecodec, "MAX_IMAGE_PIXELS", 100)
    with Image.open(io.BytesIO(data)) as im:
        with pytest.raises(Image.DecompressionBombError, match="exceeds the limit of 100 pixels") as raised:
            im.load()
    assert isinstance(raised.value.__cause__, aecodec.ImageTooLargeError)


def test_save_checks_its_keywords_and_takes_str_xmp(photo):
    """quality=True was once saved at quality 1; a str XMP (as Pillow reads PNG's) raised TypeError."""
    image = Image.fromarray(photo[:16, :16])
    for bad in (dict(quality=True), dict(quality="high"), dict(effort=9)):
        with pytest.raises(ValueError, match="quality|effort"):
            image.save(io.BytesIO(), format="AEC", **bad)
    buffer = io.BytesIO()
    image.save(buffer, format="AEC", xmp="<x:xmpmeta/>")
    assert Image.open(buffer).info["xmp"] == b"<x:xmpmeta/>"
