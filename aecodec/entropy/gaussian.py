"""Gaussian conditional coder: fused quantization y -> rint(y - mean), one table per grid scale."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import _core
from ..container import CEIL, NEAREST, SCALE_RULES
from ..errors import InvalidInputError, InvalidTableError
from ._checks import FORMAT_MAX_SUBSTREAMS, float32_array, positive_int, same_shape, stream_bytes
from .tables import check_precision, gaussian_pmfs, make_tables, quantize_pmfs


@lru_cache(maxsize=8)
def _build(scale_min: float, scale_max: float, num_scales: int, precision: int, tail_mass: float):
    if not (0 < scale_min < scale_max < np.inf) or num_scales < 2:
        raise InvalidTableError(
            f"need 0 < scale_min < scale_max and num_scales >= 2, got {scale_min}, {scale_max}, {num_scales}"
        )
    grid = np.exp(np.linspace(np.log(scale_min), np.log(scale_max), num_scales)).astype(np.float32)
    pmfs, num_symbols, offsets = gaussian_pmfs(grid, tail_mass)
    freqs = quantize_pmfs(pmfs, num_symbols, precision)
    quantized = make_tables(freqs, num_symbols, offsets, precision)
    grid.flags.writeable = False
    grid64 = grid.astype(np.float64)
    midpoints = np.sqrt(grid64[1:] * grid64[:-1])  # exact IEEE operations: the same on every machine
    midpoints.flags.writeable = False
    return grid, midpoints, quantized, _core.GaussianModel(quantized.build(), grid)


# The smallest scale the coder's grid holds: the models' Gaussian likelihoods clamp their scales to it
# (aecodec.nn.priors), so the grid starts there.
SCALE_BOUND = 0.11


class GaussianCoder:
    """Codes y given per-element means and scales with a grid of quantized Gaussian tables.

    The table of an element is the smallest grid scale >= its scale (the last one above the grid).
    Callers choose that grid scale beforehand with ``snap_scales``; tables are built once per parameter set
    and shared between instances.
    """

    def __init__(self, scale_min=SCALE_BOUND, scale_max=256.0, num_scales=64, precision=16, tail_mass=1e-9):
        precision = check_precision(precision)
        self.precision = precision
        self.tail_mass = float(tail_mass)
        self.scale_grid, self._log_midpoints, self.quantized, self._model = _build(
            float(scale_min), float(scale_max), int(num_scales), precision, float(tail_mass))

    def scale_indexes(self, scales: np.ndarray) -> np.ndarray:
        """Table index per scale: number of grid scales < scale, capped at num_scales - 1 (int32)."""
        s = float32_array("scales", scales)
        if np.isnan(s).any():
            raise InvalidInputError("scales contain NaN")
        return self._ceil_index(s).astype(np.int32)

    def _ceil_index(self, scales: np.ndarray) -> np.ndarray:
        """Index of the smallest grid scale >= each scale, capped at the last one (the C++ coder's rule)."""
        return np.minimum(np.searchsorted(self.scale_grid, scales, side="left"), len(self.scale_grid) - 1)

    def snap_scales(self, scales: np.ndarray, rule: str = NEAREST) -> np.ndarray:
        """Grid scale (float32) whose table codes each element of the float64 ``scales``.

        "nearest": the nearest grid scale in log domain (boundaries at geometric midpoints); "ceil": the
        smallest grid scale >= scale (capped at the last one). Nearest codes smaller when the scales are
        calibrated; how much depends on the model (measurements: docs/FORMAT.md).
        """
        s = np.asarray(scales, dtype=np.float64)
        if rule == NEAREST:
            index = np.searchsorted(self._log_midpoints, s, side="left")
        elif rule == CEIL:
            index = self._ceil_index(s)
        else:
            raise ValueError(f"scale rule must be one of {SCALE_RULES}, got {rule!r}")
        return self.scale_grid[index]

    def _inputs(self, y, means, scales):
        y, means, scales = (float32_array(n, a) for n, a in (("y", y), ("means", means), ("scales", scales)))
        same_shape("y", y, means=means, scales=scales)
        return y, means, scales

    def compress(self, y, means, scales, *, substreams: int = 1, threads: int = 1) -> bytes:
        """Quantizes symbol = rint(y - means) and codes it; `substreams` independent chunks on `threads` threads."""
        y, means, scales = self._inputs(y, means, scales)
        k = positive_int("substreams", substreams, FORMAT_MAX_SUBSTREAMS)
        t = positive_int("threads", threads, 1024)
        return _core.encode_gaussian(self._model, y, means, scales, k, t)

    def decompress(self, data: bytes, means, scales, *, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Returns (y_hat = symbols + means as float32, symbols as int32), both shaped like means."""
        means, scales, t = _decoder_inputs(means, scales, threads)
        y_hat, symbols = _core.decode_gaussian(self._model, stream_bytes(data), means, scales, t)
        return y_hat.reshape(means.shape), symbols.reshape(means.shape)

    def pass_decoder(self, data: bytes, count: int) -> GaussianPassDecoder:
        """An incremental decoder of one stream of ``count`` values (as ``compress`` wrote it): call its
        ``decode(means, scales)`` for the next values, in the order they were coded, then ``finish()``.
        The header is checked here (CorruptStreamError / TruncatedStreamError)."""
        return GaussianPassDecoder(self, stream_bytes(data), count)

    def check_stream(self, data: bytes, count: int) -> int:
        """Checks the header and substream lengths of a stream of ``count`` values without decoding it
        (CorruptStreamError / TruncatedStreamError); returns its substream count."""
        return _core.stream_substreams(stream_bytes(data), count)

    def estimate_bits(self, y, means, scales) -> float:
        """Ideal code length (sum of -log2 p under the quantized tables, escapes included)."""
        return _core.bits_gaussian(self._model, *self._inputs(y, means, scales))


def _decoder_inputs(means, scales, threads) -> tuple[np.ndarray, np.ndarray, int]:
    """A decoder's means and scales (float32, same shape, finite means) and thread count, checked."""
    means, scales = float32_array("means", means), float32_array("scales", scales)
    same_shape("means", means, scales=scales)
    if not np.isfinite(means).all():
        raise InvalidInputError("means must be finite")
    return means, scales, positive_int("threads", threads, 1024)


class GaussianPassDecoder:
    """Decodes one Gaussian stream in consecutive parts whose means and scales may depend on the values
    decoded before them (``GaussianCoder.pass_decoder``). Same values as ``decompress`` over the whole
    stream; a part may span substreams, which then decode on up to ``threads`` threads."""

    def __init__(self, coder: GaussianCoder, data: bytes, count: int):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise InvalidInputError(f"count must be a non-negative int, got {count!r}")
        self._decoder = _core.GaussianPassDecoder(coder._model, data, int(count))

    @property
    def total(self) -> int:
        """Values in the stream."""
        return self._decoder.total

    @property
    def decoded(self) -> int:
        """Values decoded so far."""
        return self._decoder.decoded

    def decode(self, means, scales, *, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Decodes the next ``means.size`` values: (y_hat float32, symbols int32), both shaped like means.
        Asking for more values than the stream has left is an InvalidInputError."""
        means, scales, t = _decoder_inputs(means, scales, threads)
        y_hat, symbols = self._decoder.decode(means, scales, t)
        return y_hat.reshape(means.shape), symbols.reshape(means.shape)

    def finish(self) -> None:
        """Checks that every value was decoded (else InvalidInputError) and that the stream ended exactly
        where its last value did, with valid final states (else CorruptStreamError)."""
        self._decoder.finish()


def default_gaussian_coder() -> GaussianCoder:
    """The shared GaussianCoder with default parameters."""
    return _default()


@lru_cache(maxsize=1)
def _default() -> GaussianCoder:
    return GaussianCoder()
