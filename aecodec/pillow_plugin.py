"""Pillow plugin for .aec files: ``Image.open("x.aec")`` and ``im.save("x.aec", quality=...)``.

Shaped like Pillow's own plugins: ``_accept`` checks the magic; ``_open`` reads the header and section
table (and the small metadata sections, for ``info``) but not the coded streams, and raises SyntaxError
on anything invalid, which Pillow reports as ``UnidentifiedImageError``; ``load`` decodes the whole file
into a raw tile that Pillow's machinery then unpacks. Every error ``load`` and ``verify`` find is an
``OSError`` (the ``AecodecError`` chained as its cause: damage, an unknown model, weights this aecodec does
not hold), except an image above ``aecodec.MAX_IMAGE_PIXELS``, which is Pillow's
``DecompressionBombError`` as for Pillow's own formats.

``draft()`` (and so ``thumbnail()``) cannot make decoding cheaper: the synthesis transform only produces
the full resolution, so a thumbnail costs a full decode followed by Pillow's resize.
"""

from __future__ import annotations

from contextlib import contextmanager
from io import BytesIO

from PIL import Image, ImageFile

from aecodec import container
from aecodec.errors import AecodecError, ImageTooLargeError

FORMAT_ID = "AEC"
_INFO_KEYS = {container.ICC_PROFILE: "icc_profile", container.EXIF: "exif", container.XMP: "xmp"}


def _accept(prefix: bytes) -> bool:
    return container.looks_like_aec(prefix)


class AecImageFile(ImageFile.ImageFile):
    format = FORMAT_ID
    format_description = "aecodec learned image codec"

    def _open(self) -> None:
        assert self.fp is not None
        try:
            # Pillow applies its own decompression-bomb check after _open, on self.size.
            header, table = container.scan(self.fp, max_pixels=None)
            for tag, key in _INFO_KEYS.items():
                if tag in table:
                    offset, length = table[tag]
                    self.fp.seek(offset)
                    payload = ImageFile._safe_read(self.fp, length)
                    self.info[key] = b"Exif\x00\x00" + payload if tag == container.EXIF else payload
        except (AecodecError, OSError) as exc:
            raise SyntaxError(f"not a valid AEC file: {exc}") from exc
        self._size = (header.width, header.height)
        self._mode = header.mode
        self.info["quality"] = header.quality
        self.info["model_id"] = header.model_id
        self._aec_decoded = False

    def load(self):
        if not self._aec_decoded and self.fp is not None:
            from aecodec.api import decode

            self.fp.seek(0)
            with _pillow_errors():
                decoded = decode(self.fp.read())
            if self._exclusive_fp:
                self.fp.close()
            self.fp = BytesIO(decoded.tobytes())
            self.tile = [ImageFile._Tile("raw", (0, 0, *self.size), 0, decoded.mode)]
            self._aec_decoded = True
        return super().load()

    def verify(self) -> None:
        """Checks the checksum and the structure of the whole file (not the coded streams' contents)."""
        if self.fp is None:
            raise RuntimeError("verify must be called directly after open")
        self.fp.seek(0)
        with _pillow_errors():
            container.parse(self.fp.read(), max_pixels=None)
        if self._exclusive_fp:
            self.fp.close()
        self.fp = None


@contextmanager
def _pillow_errors():
    """Raises the block's AecodecErrors as Pillow's plugins do: an OSError (as it is when it already is
    one), or DecompressionBombError for an image above the pixel limit."""
    try:
        yield
    except ImageTooLargeError as exc:
        raise Image.DecompressionBombError(str(exc)) from exc
    except OSError:
        raise
    except AecodecError as exc:
        raise OSError(f"cannot decode AEC file: {exc}") from exc


# save() keywords that replace the image's own metadata (None drops it), and their kinds in the API.
_METADATA_KEYWORDS = {"icc_profile": "icc", "exif": "exif", "xmp": "xmp"}


def _save(im: Image.Image, fp, filename) -> None:
    from aecodec.api import encode

    info = im.encoderinfo
    metadata = {kind: info[key] for key, kind in _METADATA_KEYWORDS.items() if key in info}
    fp.write(encode(im, quality=info.get("quality", 75), target_bpp=info.get("target_bpp"),
                    effort=info.get("effort", 0), metadata=metadata))


Image.register_open(FORMAT_ID, AecImageFile, _accept)
Image.register_save(FORMAT_ID, _save)
Image.register_extension(FORMAT_ID, ".aec")
Image.register_mime(FORMAT_ID, "image/x-aec")
