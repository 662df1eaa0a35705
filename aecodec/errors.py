"""The exception hierarchy of aecodec: every error about bad input derives from AecodecError."""


class AecodecError(Exception):
    """Base class of all errors that aecodec raises on purpose."""


class CorruptStreamError(AecodecError, ValueError, OSError):
    """An entropy-coded stream or container is damaged, truncated or not what it claims to be.

    Also an OSError, like Pillow's own errors for broken files, so that code written for Pillow
    (``except OSError``) catches it when an .aec file is opened through the plugin.
    """


class TruncatedStreamError(CorruptStreamError):
    """Data ends before the structure it describes is complete."""


class ChecksumError(CorruptStreamError):
    """The stored checksum does not match the data."""


class UnsupportedFormatError(AecodecError, ValueError, OSError):
    """Not an .aec file, or a format version this build cannot read."""


class ModelMismatchError(AecodecError):
    """A model or weights this aecodec cannot use: a file's (or a requested) model id it does not know,
    weights it does not hold, or a weights file it cannot read."""


class ImageTooLargeError(AecodecError, ValueError):
    """Dimensions exceed the configured decompression-bomb limit (``width``, ``height`` and ``limit``, in
    pixels, when known: the command line names its option from them)."""

    def __init__(self, message: str, width: int | None = None, height: int | None = None, limit: int | None = None):
        super().__init__(message)
        self.width, self.height, self.limit = width, height, limit


class InvalidArgumentError(AecodecError, ValueError):
    """An API argument (quality, effort, threads, strip, ...) of the wrong type or out of range.

    Also a ValueError, what the API raised for invalid arguments before this class existed.
    """


class UnsupportedImageError(AecodecError, ValueError):
    """An input image whose mode, shape or type aecodec cannot encode."""


class InvalidTableError(AecodecError, ValueError):
    """A probability table handed to the entropy coder is malformed."""


class InvalidInputError(AecodecError, ValueError):
    """Arrays handed to the entropy coder have the wrong dtype, shape or non-finite values."""


class ResourceError(AecodecError, RuntimeError):
    """The system refused a resource that coding needs (e.g. a worker thread): retry with fewer threads."""
