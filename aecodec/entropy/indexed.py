"""Indexed coder: per-channel tables from Python pmfs (e.g. the factorized prior of a hyper-latent)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..errors import InvalidTableError
from ._checks import int32_array, same_shape, stream_bytes
from .tables import QuantizedTables, check_precision, make_tables, quantize_pmfs, with_escape


class IndexedCoder:
    """Codes int32 symbols, each with the index of its table; values outside a table are escape-coded."""

    def __init__(self, quantized: QuantizedTables):
        self.quantized = quantized
        self._tables = quantized.build()

    @classmethod
    def from_pmfs(cls, pmfs, lengths, offsets, precision=16) -> "IndexedCoder":
        """pmfs (C, K) float64, lengths (C,) symbols per table, offsets (C,) value of each first symbol.

        The probability left over by each pmf (at least a tiny amount) becomes its escape symbol.
        """
        precision = check_precision(precision)
        pmfs = np.asarray(pmfs, dtype=np.float64)
        lengths, offsets = np.asarray(lengths), np.asarray(offsets)
        if pmfs.ndim != 2 or pmfs.shape[0] == 0:
            raise InvalidTableError(f"pmfs must have shape (C, K) with C >= 1, got {pmfs.shape}")
        c, k = pmfs.shape
        for name, a in (("lengths", lengths), ("offsets", offsets)):
            if a.shape != (c,) or not np.issubdtype(a.dtype, np.integer):
                raise InvalidTableError(f"{name} must be an integer array of shape ({c},), got {a.dtype} {a.shape}")
        if not np.isfinite(pmfs).all() or (pmfs < 0).any():
            raise InvalidTableError("pmfs must be finite and non-negative")
        if (lengths < 1).any() or (lengths > k).any():
            raise InvalidTableError(f"lengths must be in [1, {k}]")
        lengths = lengths.astype(np.int64)
        if (offsets < np.iinfo(np.int32).min).any() or (offsets + lengths - 1 > np.iinfo(np.int32).max).any():
            raise InvalidTableError("offsets + lengths must stay inside int32")
        valid = np.arange(k)[None, :] < lengths[:, None]
        mass = np.where(valid, pmfs, 0.0).sum(axis=1)
        escape = np.maximum(1.0 - mass, 1e-12 * np.maximum(mass, 1e-300))
        full, num_symbols = with_escape(pmfs * valid, lengths, escape)
        freqs = quantize_pmfs(full, num_symbols, precision)
        return cls(make_tables(freqs, num_symbols, offsets, precision))

    @property
    def num_tables(self) -> int:
        return len(self._tables)

    def _inputs(self, symbols, indexes):
        symbols, indexes = int32_array("symbols", symbols), int32_array("indexes", indexes)
        same_shape("indexes", indexes, symbols=symbols)
        return symbols, indexes

    def compress(self, symbols: np.ndarray, indexes: np.ndarray) -> bytes:
        return _core.encode_indexed(self._tables, *self._inputs(symbols, indexes))

    def decompress(self, data: bytes, indexes: np.ndarray) -> np.ndarray:
        indexes = int32_array("indexes", indexes)
        return _core.decode_indexed(self._tables, stream_bytes(data), indexes).reshape(indexes.shape)

    def estimate_bits(self, symbols, indexes) -> float:
        return _core.bits_indexed(self._tables, *self._inputs(symbols, indexes))
