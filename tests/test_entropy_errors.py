"""Error reporting of the entropy coders: bad tables, bad inputs, bad streams."""

import numpy as np
import pytest

from aecodec import _core, errors
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
    assert InvalidInputError is _core.InvalidInputError is errors.InvalidInputError  # one class, not a copy

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


# Every binding called with None in each argument position, in a child process so that a crash shows as a
# failure: each call must raise TypeError (pybind11's argument check) or an AecodecError.
NONE_CHILD = """
import numpy as np
from aecodec import _core, errors
from aecodec.entropy import default_gaussian_coder
from aecodec.errors import AecodecError

coder = default_gaussian_coder()
model, tables = coder._model, coder.quantized.build()
f = np.zeros(4, np.float32)
s = np.ones(4, np.float32)
i = np.zeros(4, np.int32)
q = coder.quantized
calls = {
    _core.Tables: (q.cdfs, q.num_symbols, q.offsets, q.precision),
    _core.GaussianModel: (tables, coder.scale_grid),
    _core.encode_gaussian: (model, f, f, s, 1, 1),
    _core.decode_gaussian: (model, _core.encode_gaussian(model, f, f, s), f, s, 1),
    _core.bits_gaussian: (model, f, f, s),
    _core.scale_indexes: (model, s),
    _core.encode_indexed: (tables, i, i, 1, 1),
    _core.decode_indexed: (tables, _core.encode_indexed(tables, i, i), i, 1),
    _core.bits_indexed: (tables, i, i),
    _core.stream_substreams: (_core.encode_indexed(tables, i, i), 4),
    _core.GaussianPassDecoder: (model, _core.encode_gaussian(model, f, f, s), 4),
    # a fresh decoder per call, so that the valid call is not refused for values already decoded
    lambda means, scales, threads: _core.GaussianPassDecoder(model, _core.encode_gaussian(model, f, f, s), 4).decode(
        means, scales, threads): (f, s, 1),
}
for function, args in calls.items():
    function(*args)  # the valid call works
    for position in range(len(args)):
        hostile = list(args)
        hostile[position] = None
        try:
            function(*hostile)
        except (TypeError, AecodecError):
            pass
        else:
            raise SystemExit(f"{function.__name__} accepted None as argument {position}")
print("all rejected")
"""


def test_every_binding_rejects_none():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", NONE_CHILD], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.returncode, result.stdout[-1000:], result.stderr[-2000:])
    assert result.stdout.strip() == "all rejected"


def test_arrays_are_not_converted_silently():
    """The bindings take arrays as they are: a list or another dtype is a TypeError, not a converted copy."""
    coder = default_gaussian_coder()
    f = np.zeros(4, np.float32)
    with pytest.raises(TypeError):
        _core.bits_gaussian(coder._model, f.astype(np.float64), f, f + 1)
    with pytest.raises(TypeError):
        _core.scale_indexes(coder._model, [1.0, 2.0])
    with pytest.raises(TypeError):
        _core.scale_indexes(coder._model, np.ones((4, 4), np.float32)[:, 0])  # not contiguous


def test_table_sizes_are_limited_before_allocating():
    """About 2^20 tables would need an 8 GiB decoder lookup; the limits refuse them first."""
    count = 1 << 20
    num_symbols = np.full(count, 2, np.int32)
    cdfs = np.tile(np.array([0, 8, 16], np.uint32), count)
    with pytest.raises(InvalidTableError, match=f"{count} tables exceed the limit of {_core.MAX_TABLES}"):
        _core.Tables(cdfs, num_symbols, np.zeros(count, np.int32), 4)
    # Few tables, but more CDF entries than the limit: 17 full tables at precision 16.
    full = np.arange(1 << 16 | 1, dtype=np.uint32)
    with pytest.raises(InvalidTableError, match="more than the limit"):
        _core.Tables(np.tile(full, 17), np.full(17, 1 << 16, np.int32), np.zeros(17, np.int32), 16)
    # The largest allowed sets build.
    assert len(_core.Tables(np.tile(full, 16), np.full(16, 1 << 16, np.int32), np.zeros(16, np.int32), 16)) == 16
    many = _core.MAX_TABLES
    assert len(_core.Tables(cdfs[: 3 * many], num_symbols[:many], np.zeros(many, np.int32), 4)) == many


def test_stream_header_is_checked_before_decoding():
    coder = default_gaussian_coder()
    z = np.zeros(1000, np.float32)
    data = coder.compress(z, z, z + 1, substreams=4)
    assert _core.stream_substreams(data, 1000) == 4
    with pytest.raises(TruncatedStreamError, match="substream lengths exceed"):
        _core.stream_substreams(data[:10], 1000)
    with pytest.raises(CorruptStreamError, match="invalid substream count"):
        _core.stream_substreams(data, 3)


def test_substream_limit_is_the_formats():
    from aecodec.api import ENCODER_MAX_SUBSTREAMS
    from aecodec.entropy._checks import FORMAT_MAX_SUBSTREAMS

    coder = default_gaussian_coder()
    z = np.zeros(FORMAT_MAX_SUBSTREAMS, np.float32)
    data = coder.compress(z, z, z + 1, substreams=FORMAT_MAX_SUBSTREAMS)
    assert _core.stream_substreams(data, z.size) == FORMAT_MAX_SUBSTREAMS
    with pytest.raises(InvalidInputError, match=f"substreams must be an int in \\[1, {FORMAT_MAX_SUBSTREAMS}\\]"):
        coder.compress(z, z, z + 1, substreams=FORMAT_MAX_SUBSTREAMS + 1)
    assert 1 <= ENCODER_MAX_SUBSTREAMS <= FORMAT_MAX_SUBSTREAMS  # the encoder's policy stays inside the format
