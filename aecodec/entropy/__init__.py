"""Entropy coding of latents: rANS with quantized CDF tables (C++ core in aecodec._core).

GaussianCoder codes y with a Gaussian conditional (fused quantization around means, table
picked per value from its scale); IndexedCoder codes integer symbols with per-channel tables.
Out-of-range values are escape-coded, so every int32 value round-trips.
"""

from ..errors import InvalidInputError
from .gaussian import GaussianCoder, GaussianPassDecoder, default_gaussian_coder
from .indexed import IndexedCoder

__all__ = ["GaussianCoder", "GaussianPassDecoder", "IndexedCoder", "InvalidInputError", "default_gaussian_coder"]
