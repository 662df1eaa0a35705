"""Building quantized CDF tables (numpy, vectorized) for the C++ coder."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..errors import InvalidTableError

MAX_PRECISION = 16


@dataclass(frozen=True)
class QuantizedTables:
    """The integer model handed to C++: table t codes offsets[t] + (0 .. num_symbols[t] - 2), then escape."""

    cdfs: np.ndarray  # uint32, tables back to back, num_symbols[t] + 1 entries each
    num_symbols: np.ndarray  # int32, escape included
    offsets: np.ndarray  # int32
    precision: int

    def freqs(self, t: int) -> np.ndarray:
        """Frequencies of table t (last one: escape); they sum to 2**precision."""
        start = int(self.num_symbols[:t].sum()) + t
        return np.diff(self.cdfs[start : start + int(self.num_symbols[t]) + 1].astype(np.int64))

    def build(self):
        from .. import _core

        return _core.Tables(self.cdfs, self.num_symbols, self.offsets, self.precision)


def make_tables(freqs: np.ndarray, num_symbols: np.ndarray, offsets: np.ndarray, precision: int) -> QuantizedTables:
    q = QuantizedTables(freqs_to_cdfs(freqs, num_symbols), num_symbols.astype(np.int32), offsets.astype(np.int32),
                        precision)
    for a in (q.cdfs, q.num_symbols, q.offsets):
        a.flags.writeable = False
    return q


def check_precision(precision: int) -> int:
    if not isinstance(precision, (int, np.integer)) or not 1 <= precision <= MAX_PRECISION:
        raise InvalidTableError(f"precision must be an int in [1, {MAX_PRECISION}], got {precision!r}")
    return int(precision)


def quantize_pmfs(pmfs: np.ndarray, lengths: np.ndarray, precision: int) -> np.ndarray:
    """Integer frequencies (T, M) summing to 2**precision per row, each >= 1 on the first lengths[t] entries.

    Rounds p * 2**precision down, lifts zeros to 1, then fixes each row's sum: a surplus goes
    to the largest remainders, a deficit is taken where decrementing costs the fewest bits.
    """
    total = 1 << precision
    t, m = pmfs.shape
    valid = np.arange(m)[None, :] < lengths[:, None]
    if (lengths > total).any():
        bad = int(np.argmax(lengths > total))
        raise InvalidTableError(f"table {bad}: {int(lengths[bad])} symbols do not fit precision {precision}")
    p = np.where(valid, pmfs, 0.0)
    sums = p.sum(axis=1, keepdims=True)
    if not (sums > 0).all():
        raise InvalidTableError(f"table {int(np.argmin(sums[:, 0] > 0))} has zero total probability")
    target = p / sums * total
    freqs = np.where(valid, np.maximum(1, np.floor(target)), 0).astype(np.int64)
    diff = total - freqs.sum(axis=1)
    rows = np.arange(t)[:, None]

    grow = diff > 0
    if grow.any():
        rem = np.where(valid, target - freqs, -np.inf)
        rank = np.empty_like(freqs)
        rank[rows, np.argsort(-rem, axis=1, kind="stable")] = np.arange(m)[None, :]
        freqs += (rank < np.where(grow, diff, 0)[:, None]).astype(np.int64)
        diff = total - freqs.sum(axis=1)
    while (diff < 0).any():
        with np.errstate(divide="ignore"):
            cost = np.where(valid & (freqs > 1), target * np.log(np.maximum(freqs, 2) / np.maximum(freqs - 1, 1)), np.inf)
        rank = np.empty_like(freqs)
        rank[rows, np.argsort(cost, axis=1, kind="stable")] = np.arange(m)[None, :]
        take = (rank < np.where(diff < 0, -diff, 0)[:, None]) & np.isfinite(cost)
        freqs -= take.astype(np.int64)
        diff = total - freqs.sum(axis=1)
    return freqs


def freqs_to_cdfs(freqs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated CDFs (each lengths[t] + 1 entries, from 0) of the rows of freqs."""
    m = freqs.shape[1]
    cum = np.concatenate([np.zeros((freqs.shape[0], 1), np.int64), np.cumsum(freqs, axis=1)], axis=1)
    keep = np.arange(m + 1)[None, :] <= lengths[:, None]
    return cum[keep].astype(np.uint32)


def with_escape(pmfs: np.ndarray, lengths: np.ndarray, escape: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Appends each row's escape probability right after its lengths[t] symbols."""
    t, m = pmfs.shape
    out = np.zeros((t, m + 1), np.float64)
    out[:, :m] = pmfs
    out[np.arange(t), lengths] = escape
    return out, lengths + 1


def gaussian_pmfs(grid: np.ndarray, tail_mass: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discretized zero-mean Gaussians on [-h, h], h = ceil(scale * z(tail_mass / 2)).

    Returns (pmfs with the escape = tail mass appended, num_symbols incl. escape, offsets = -h).
    """
    if not 0 < tail_mass < 1:
        raise InvalidTableError(f"tail_mass must be in (0, 1), got {tail_mass}")
    z = -NormalDist().inv_cdf(tail_mass / 2)
    scales = grid.astype(np.float64)
    half = np.ceil(scales * z).astype(np.int64)
    m = int(2 * half.max() + 1)
    k = np.arange(m)[None, :] - half[:, None]  # symbol values, row t valid up to 2h+1
    lengths = 2 * half + 1
    valid = np.arange(m)[None, :] < lengths[:, None]
    upper = np.vectorize(_upper_tail, otypes=[np.float64])
    # p(k) = Q((|k| - .5)/s) - Q((|k| + .5)/s) with Q the upper tail (accurate far out).
    kv, sv = np.abs(k[valid]), np.broadcast_to(scales[:, None], k.shape)[valid]
    b = upper((kv + 0.5) / sv)
    p = np.zeros(k.shape)
    p[valid] = np.where(kv == 0, 1.0 - 2.0 * b, upper(np.abs(kv - 0.5) / sv) - b)
    escape = 2.0 * upper((half + 0.5) / scales)
    pmfs, num_symbols = with_escape(p, lengths, escape)
    return pmfs, num_symbols, -half


def _upper_tail(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))
