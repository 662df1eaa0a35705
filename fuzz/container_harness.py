"""Fuzz target: the .aec container parser and a whole decode with the tiny test model.

Input: byte 0 picks whether the CRC is re-sealed (odd: the last 4 bytes are replaced by the CRC of the
rest, so that mutations reach the sections and streams); the rest is the file, handed to ``aecodec.info``,
``container.scan`` and ``container.parse``. Files up to MAX_PIXELS pixels are then decoded with tests/data/tiny_model.safetensors. Every call must return or raise an
AecodecError; anything else, a crash or a hang is a finding.
"""

from __future__ import annotations

import io
import sys
import zlib
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TINY_MODEL = REPO / "tests" / "data" / "tiny_model.safetensors"
MAX_PIXELS = 64 * 64


def reseal(data: bytes) -> bytes:
    body = data[:-4] if len(data) >= 4 else data
    return body + zlib.crc32(body).to_bytes(4, "little")


@lru_cache(maxsize=1)
def tiny_codec():
    """The tiny model, one thread for torch and the coder during its calls."""
    import aecodec

    return aecodec.Codec(weights=TINY_MODEL, precision="fp32", threads=1, max_pixels=MAX_PIXELS)


def one_input(data: bytes) -> None:
    from aecodec import api, container
    from aecodec.errors import AecodecError

    if not data:
        return
    file = reseal(data[1:]) if data[0] & 1 else data[1:]
    try:
        api.info(file)
        container.scan(io.BytesIO(file), MAX_PIXELS)  # the section table without the checksum (Pillow's open)
        parsed = container.parse(file, MAX_PIXELS)
        if parsed.header.model_id == tiny_codec().model_id:
            image = tiny_codec().decode(file)
            assert image.size == (parsed.header.width, parsed.header.height)
    except AecodecError:
        pass


def main() -> None:
    import atheris

    with atheris.instrument_imports(include=["aecodec"]):  # aecodec's modules only, not torch
        import aecodec.api  # noqa: F401
    tiny_codec()
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
