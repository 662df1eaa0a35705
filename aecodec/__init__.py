"""aecodec: a learned image codec (GDN autoencoder + hyperprior, C++ rANS coder).

    data = aecodec.encode(image, quality=75)   # PIL image, uint8 array or path -> .aec bytes
    image = aecodec.decode(data)               # -> PIL.Image.Image
"""

__version__ = "0.3.0.dev0"

from aecodec.container import DEFAULT_MAX_PIXELS as _DEFAULT_MAX_PIXELS  # noqa: E402

# Decompression-bomb limit (pixels) for decoding, like PIL.Image.MAX_IMAGE_PIXELS; None disables it.
MAX_IMAGE_PIXELS: int | None = _DEFAULT_MAX_PIXELS

from aecodec.errors import (  # noqa: E402
    AecodecError,
    ChecksumError,
    CorruptStreamError,
    ImageTooLargeError,
    InvalidArgumentError,
    ModelMismatchError,
    ResourceError,
    TruncatedStreamError,
    UnsupportedFormatError,
    UnsupportedImageError,
)
from aecodec import pillow_plugin  # noqa: E402,F401  (registers the AEC format with Pillow)

_API = ("encode", "decode", "Codec")
_FILE_INFO = ("info", "ImageInfo")


def __getattr__(name: str):
    # The API pulls in torch and the model; importing it lazily keeps `import aecodec` light.
    if name in _FILE_INFO:  # headers are read without torch
        from aecodec import fileinfo

        return getattr(fileinfo, name)
    if name in _API:
        from aecodec import api

        return getattr(api, name)
    raise AttributeError(f"module 'aecodec' has no attribute {name!r}")

__all__ = [
    "encode", "decode", "info", "Codec", "ImageInfo", "AecodecError", "ChecksumError", "CorruptStreamError",
    "ImageTooLargeError", "InvalidArgumentError", "ModelMismatchError", "ResourceError", "TruncatedStreamError", "UnsupportedFormatError",
    "UnsupportedImageError", "MAX_IMAGE_PIXELS", "__version__",
]
