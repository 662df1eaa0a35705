"""Error reporting of the entropy coders: bad tables, bad inputs, bad streams."""

import numpy as np
import pytest

from aecodec import _core
from aecodec.entropy import GaussianCoder, IndexedCoder, InvalidInputError, default_gaussian_coder
from aecodec.errors import AecodecError, CorruptStreamError, InvalidTableError, TruncatedStreamError


def tables(cdfs, num_symbols, offsets, precision=4):
    return _core.Tables(np.array(cdfs, np.uint32), np.array(num_symbols, np.int32),
                        np.array(offsets, np.int32), precision)


def test_table_validation():
    tables([0, 8, 15, 16], [3], [0])
    with pytest.raises(InvalidTableError, match="zero frequency"):
        tables([0, 8, 8, 16], [3], [0])
    with pytest.raises(InvalidTableError, match="zero frequency"):
        tables([0, 9, 8, 16], [3], [0])
    with pytest.raises(InvalidTableError, match="end at 2\\^precision"):
        tables([0, 8, 15, 17], [3], [0])
    with pytest.raises(InvalidTableError, match="start at 0"):
        tables([1, 8, 15, 16], [3], [0])
    with pytest.raises(InvalidTableError, match="at least one symbol plus the escape"):
        tables([0, 16], [1], [0])
    with pytest.raises(InvalidTableError, match="entries, num_symbols implies"):
        tables([0, 8, 16], [3], [0])
    with pytest.raises(InvalidTableError, match="precision must be in"):
        tables([0, 8, 16], [2], [0], precision=17)
    with pytest.raises(InvalidTableError, match="do not fit precision"):
        tables(list(range(18)), [17], [0])
    with pytest.raises(InvalidTableError, match="exceeds int32"):
        tables([0, 8, 15, 16], [3], [2**31 - 1])
    with pytest.raises(InvalidTableError, match="strictly increasing"):
        _core.GaussianModel(tables([0, 8, 16, 0, 8, 16], [2, 2], [0, 0]), np.array([1, 1], np.float32))
    with pytest.raises(InvalidTableError, match="2 entries but there are 1 tables"):
        _core.GaussianModel(tables([0, 8, 16], [2], [0]), np.array([1, 2], np.float32))


def test_from_pmfs_validation():
    with pytest.raises(InvalidTableError, match="shape \\(C, K\\)"):
        IndexedCoder.from_pmfs(np.ones(3), [3], [0])
    with pytest.raises(InvalidTableError, match="finite and non-negative"):
        IndexedCoder.from_pmfs([[0.5, -0.1]], [2], [0])
    with pytest.raises(InvalidTableError, match="lengths must be in"):
        IndexedCoder.from_pmfs([[0.5, 0.5]], [3], [0])
    with pytest.raises(InvalidTableError, match="offsets must be an integer array"):
        IndexedCoder.from_pmfs([[0.5, 0.5]], [2], [0.5])
    with pytest.raises(InvalidTableError, match="do not fit precision 2"):
        IndexedCoder.from_pmfs([[0.25] * 4], [4], [0], precision=2)
    with pytest.raises(InvalidTableError, match="precision must be an int"):
        GaussianCoder(precision=0)
    with pytest.raises(InvalidTableError, match="do not fit precision 8"):
        GaussianCoder(precision=8)
    with pytest.raises(InvalidTableError, match="scale_min < scale_max"):
        GaussianCoder(scale_min=2.0, scale_max=1.0)


def test_input_validation():
    coder = default_gaussian_coder()
    z = np.zeros(4, np.float32)
    with pytest.raises(InvalidInputError, match="scales has shape"):
        coder.compress(z, z, np.ones(5, np.float32))
    with pytest.raises(InvalidInputError, match="scales\\[2\\] is NaN"):
        coder.compress(z, z, np.array([1, 1, np.nan, 1], np.float32))
    with pytest.raises(InvalidInputError, match="scales contain NaN"):
        coder.scale_indexes(np.array([np.nan], np.float32))
    with pytest.raises(InvalidInputError, match="not finite or outside int32"):
        coder.compress(np.array([0, np.inf, 0, 0], np.float32), z, z + 1)
    with pytest.raises(InvalidInputError, match="not finite or outside int32"):
        coder.compress(np.array([3e9, 0, 0, 0], np.float32), z, z + 1)
    with pytest.raises(InvalidInputError, match="real numeric array"):
        coder.compress(np.array(["a"] * 4), z, z)
    with pytest.raises(InvalidInputError, match="substreams must be"):
        coder.compress(z, z, z + 1, substreams=0)
    with pytest.raises(InvalidInputError, match="threads must be"):
        coder.compress(z, z, z + 1, threads=0)
    with pytest.raises(InvalidInputError, match="means must be finite"):
        coder.decompress(coder.compress(z, z, z + 1), z + np.inf, z + 1)
    with pytest.raises(InvalidInputError, match="data must be bytes"):
        coder.decompress("abc", z, z + 1)
    assert issubclass(InvalidInputError, AecodecError) and issubclass(InvalidInputError, ValueError)

    ic = IndexedCoder.from_pmfs([[0.5, 0.5]], [2], [0])
    with pytest.raises(InvalidInputError, match="indexes\\[1\\] = 3 is outside \\[0, 1\\)"):
        ic.compress(np.zeros(2, np.int32), np.array([0, 3], np.int32))
    with pytest.raises(InvalidInputError, match="outside int32"):
        ic.compress(np.array([2**40]), np.array([0]))
    with pytest.raises(InvalidInputError, match="integer array"):
        ic.compress(np.array([0.5]), np.array([0]))
    data = ic.compress(np.zeros(2, np.int32), np.zeros(2, np.int32))
    with pytest.raises(InvalidInputError, match="is outside \\[0, 1\\)"):
        ic.decompress(data, np.array([0, -1], np.int32))


def test_stream_errors():
    coder = default_gaussian_coder()
    rng = np.random.default_rng(0)
    means = np.zeros(1000, np.float32)
    scales = np.full(1000, 2.0, np.float32)
    data = coder.compress(rng.normal(0, 2, 1000).astype(np.float32), means, scales, substreams=4)
    with pytest.raises(TruncatedStreamError, match="empty stream"):
        coder.decompress(b"", means, scales)
    with pytest.raises(CorruptStreamError, match="bad tag byte"):
        coder.decompress(b"\x00" + data[1:], means, scales)
    with pytest.raises(CorruptStreamError, match="invalid substream count"):
        coder.decompress(data, means[:3], scales[:3])
    with pytest.raises(CorruptStreamError, match="substream count"):
        coder.decompress(b"\xa1\x00", means, scales)
    with pytest.raises(TruncatedStreamError):
        coder.decompress(data[:-4], means, scales)
    with pytest.raises(CorruptStreamError, match="impossible length|trailing data"):
        coder.decompress(data + b"\0\0\0\0", means, scales)
    with pytest.raises(CorruptStreamError, match="varint too long"):
        coder.decompress(b"\xa1\xff\xff\xff\xff\xff\xff", means, scales)
    with pytest.raises(CorruptStreamError, match="final rANS state|initial rANS state|escape|ends early"):
        single = coder.compress(means, means, scales)
        coder.decompress(single[:2] + bytes([single[2] ^ 1]) + single[3:], means, scales)
    assert isinstance(CorruptStreamError("x"), ValueError)
