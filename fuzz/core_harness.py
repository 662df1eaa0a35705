"""Fuzz target: aecodec._core decoding (decode_gaussian, decode_indexed, GaussianPassDecoder) with hostile
streams and tables.

Input layout (the corpus in fuzz/corpus/core is written in it by make_corpus.py):

    byte 0      kind: 0 Gaussian (the default coder), 1 indexed (fixed tables), 2 indexed (tables from the input),
                3 Gaussian decoded in parts by a GaussianPassDecoder
    bytes 1-2   n, the value count (u16 LE, taken mod MAX_VALUES + 1)
    byte 3      threads (1 + byte % 4); kind 3: also the number of parts, 1 + (byte // 4) % 8, of sizes
                n * i // parts (consecutive)
    kind 2 only: byte 4 table count T (1 + byte % 8), byte 5 precision (1 + byte % 16); then per table
                one byte m (num_symbols = 2 + m % 30), one signed byte offset, and m + 1 CDF entries (u16 LE)
    rest        the stream

Means, scales and table indexes follow from n alone (``side_inputs``), so valid seeds stay valid.
Every call must return or raise an AecodecError (or TypeError for the hostile tables' arrays); anything
else, a crash or a hang is a finding. Kind 3 is also checked against the one-shot decoder: a stream the
pass decoder accepts decodes to the same values with decode_gaussian.
"""

from __future__ import annotations

import struct
import sys

import numpy as np

MAX_VALUES = 2048
FIXED_PMFS = (np.full((3, 8), 0.125), np.array([8, 5, 2]), np.array([0, -2, 100]))


def side_inputs(n: int, num_tables: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means, scales (float32) and indexes (int32) of n values; deterministic."""
    rng = np.random.default_rng(n)
    means = rng.normal(0, 3, n).astype(np.float32)
    scales = np.exp(rng.uniform(-3, 6, n)).astype(np.float32)
    indexes = (np.arange(n) % num_tables).astype(np.int32)
    return means, scales, indexes


def header(kind: int, n: int, threads: int, parts: int = 1) -> bytes:
    return bytes([kind]) + struct.pack("<H", n) + bytes([threads - 1 + 4 * (parts - 1)])


def decode_in_parts(model, stream: bytes, means: np.ndarray, scales: np.ndarray, parts: int, threads: int):
    """Symbols of a Gaussian stream decoded by a GaussianPassDecoder in ``parts`` consecutive parts."""
    from aecodec import _core

    n = means.size
    decoder = _core.GaussianPassDecoder(model, stream, n)
    cuts = [n * i // parts for i in range(parts + 1)]
    symbols = [decoder.decode(means[a:b], scales[a:b], threads)[1] for a, b in zip(cuts, cuts[1:])]
    decoder.finish()
    return np.concatenate(symbols)


def table_bytes(cdfs: list[list[int]], offsets: list[int], precision: int) -> bytes:
    """The kind-2 table block for tables given as CDFs (m + 1 entries each, m = num_symbols)."""
    out = bytes([len(cdfs) - 1, precision - 1])
    for cdf, offset in zip(cdfs, offsets):
        out += bytes([len(cdf) - 3, offset & 0xFF]) + struct.pack(f"<{len(cdf)}H", *[min(c, 0xFFFF) for c in cdf])
    return out


def _parse_tables(data: bytes, pos: int):
    """Tables of a kind-2 input: (cdfs, num_symbols, offsets, precision, position after them) or None."""
    if len(data) < pos + 2:
        return None
    count, precision = 1 + data[pos] % 8, 1 + data[pos + 1] % 16
    pos += 2
    cdfs, num_symbols, offsets = [], [], []
    for _ in range(count):
        if len(data) < pos + 2:
            return None
        m = 2 + data[pos] % 30
        offsets.append(struct.unpack_from("<b", data, pos + 1)[0])
        pos += 2
        if len(data) < pos + 2 * (m + 1):
            return None
        cdf = list(struct.unpack_from(f"<{m + 1}H", data, pos))
        pos += 2 * (m + 1)
        if precision == 16 and cdf[-1] == 0xFFFF:
            cdf[-1] = 1 << 16  # a u16 cannot hold 2^16: the top entry stands for it
        cdfs += cdf
        num_symbols.append(m)
    return (np.array(cdfs, np.uint32), np.array(num_symbols, np.int32), np.array(offsets, np.int32), precision,
            pos)


def one_input(data: bytes) -> None:
    from aecodec import _core
    from aecodec.entropy import IndexedCoder, default_gaussian_coder
    from aecodec.errors import AecodecError

    if len(data) < 4:
        return
    kind, threads = data[0] % 4, 1 + data[3] % 4
    n = struct.unpack_from("<H", data, 1)[0] % (MAX_VALUES + 1)
    pos = 4
    try:
        if kind == 0:
            means, scales, _ = side_inputs(n, 1)
            y_hat, symbols = _core.decode_gaussian(default_gaussian_coder()._model, data[pos:], means, scales, threads)
            assert y_hat.shape == symbols.shape == (n,)
            return
        if kind == 3:
            model = default_gaussian_coder()._model
            means, scales, _ = side_inputs(n, 1)
            symbols = decode_in_parts(model, data[pos:], means, scales, 1 + (data[3] // 4) % 8, threads)
            assert np.array_equal(symbols, _core.decode_gaussian(model, data[pos:], means, scales, 1)[1])
            return
        if kind == 1:
            tables = IndexedCoder.from_pmfs(*FIXED_PMFS)._tables
        else:
            parsed = _parse_tables(data, pos)
            if parsed is None:
                return
            cdfs, num_symbols, offsets, precision, pos = parsed
            tables = _core.Tables(cdfs, num_symbols, offsets, precision)
        _, _, indexes = side_inputs(n, len(tables))
        symbols = _core.decode_indexed(tables, data[pos:], indexes, threads)
        assert symbols.shape == (n,)
    except AecodecError:
        pass


def main() -> None:
    import atheris

    with atheris.instrument_imports(include=["aecodec"]):
        import aecodec.entropy  # noqa: F401
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
