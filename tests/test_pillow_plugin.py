"""The Pillow plugin: Image.open reads the header only; load decodes; save encodes."""

import io

import numpy as np
from PIL import Image

import aecodec


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_open_reads_only_the_header(codec, photo):
    data = codec.encode(photo, quality=50)
    reader = CountingReader(data)
    im = Image.open(reader)
    assert im.format == "AEC" and im.size == (photo.shape[1], photo.shape[0]) and im.mode == "RGB"
    assert reader.bytes_read < 64 < len(data)
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
