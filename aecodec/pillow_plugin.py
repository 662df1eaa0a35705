"""Pillow plugin for .aec files: ``Image.open("x.aec")`` and ``im.save("x.aec", quality=...)``.

Shaped like Pillow's own plugins: ``_accept`` checks the magic, ``_open`` reads only the header, and
``load`` decodes the whole file into a raw tile that Pillow's machinery then unpacks.
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image, ImageFile

from aecodec import container

FORMAT_ID = "AEC"


def _accept(prefix: bytes) -> bool:
    return container.looks_like_aec(prefix)


class AecImageFile(ImageFile.ImageFile):
    format = FORMAT_ID
    format_description = "aecodec learned image codec"

    def _open(self) -> None:
        assert self.fp is not None
        prefix = self.fp.read(container.HEADER_SIZE)
        if not _accept(prefix):
            raise SyntaxError("not an AEC file")
        # Pillow applies its own decompression-bomb check after _open, on self.size.
        header = container.parse_header(prefix, max_pixels=None)
        self._size = (header.width, header.height)
        self._mode = header.mode
        self.info["quality"] = header.quality
        self.info["model_id"] = header.model_id
        self._aec_decoded = False

    def load(self):
        if not self._aec_decoded and self.fp is not None:
            from aecodec.api import decode

            self.fp.seek(0)
            decoded = decode(self.fp.read())
            if decoded.info.get("icc_profile"):
                self.info["icc_profile"] = decoded.info["icc_profile"]
            if self._exclusive_fp:
                self.fp.close()
            self.fp = BytesIO(decoded.tobytes())
            self.tile = [ImageFile._Tile("raw", (0, 0, *self.size), 0, decoded.mode)]
            self._aec_decoded = True
        return super().load()


def _save(im: Image.Image, fp, filename) -> None:
    from aecodec.api import encode

    info = im.encoderinfo
    fp.write(encode(im, quality=float(info.get("quality", 75)), target_bpp=info.get("target_bpp"),
                     effort=info.get("effort", 0)))


Image.register_open(FORMAT_ID, AecImageFile, _accept)
Image.register_save(FORMAT_ID, _save)
Image.register_extension(FORMAT_ID, ".aec")
Image.register_mime(FORMAT_ID, "image/x-aec")
