"""GaussianCoder.pass_decoder: a stream decoded in consecutive parts gives what decompress gives; misuse,
truncation and corruption are AecodecErrors, never a crash."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aecodec.entropy import default_gaussian_coder
from aecodec.errors import AecodecError, CorruptStreamError, InvalidInputError, TruncatedStreamError


def values(n: int, seed: int, escapes: bool = True):
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 4, n).astype(np.float32)
    scales = np.exp(rng.uniform(-3, 6, n)).astype(np.float32)
    y = (means + rng.normal(0, 1, n) * scales).astype(np.float32)
    if escapes and n > 5:
        y[::7] += rng.choice([-1, 1], y[::7].size) * 1e6  # escape-coded values
    return y, means, scales


def decode_in_parts(stream: bytes, means, scales, cuts, threads: int = 1):
    decoder = default_gaussian_coder().pass_decoder(stream, means.size)
    parts = [decoder.decode(means[a:b], scales[a:b], threads=threads) for a, b in zip(cuts, cuts[1:])]
    decoder.finish()
    parts.append((np.zeros(0, np.float32), np.zeros(0, np.int32)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 3000), substreams=st.integers(1, 9), seed=st.integers(0, 2**31),
       cut_points=st.lists(st.floats(0, 1), max_size=12), threads=st.sampled_from([1, 3]))
def test_parts_decode_as_the_one_shot_decoder(n, substreams, seed, cut_points, threads):
    coder = default_gaussian_coder()
    y, means, scales = values(n, seed)
    stream = coder.compress(y, means, scales, substreams=substreams)
    y_hat, symbols = coder.decompress(stream, means, scales)
    cuts = sorted({0, n, *(int(c * n) for c in cut_points)})
    parts_y, parts_symbols = decode_in_parts(stream, means, scales, cuts, threads)
    assert np.array_equal(parts_symbols, symbols) and np.array_equal(parts_y, y_hat)


def test_parts_keep_the_shape_of_their_means():
    coder = default_gaussian_coder()
    y, means, scales = values(24, 1)
    stream = coder.compress(y, means, scales)
    decoder = coder.pass_decoder(stream, 24)
    y_hat, symbols = decoder.decode(means[:12].reshape(3, 4), scales[:12].reshape(3, 4))
    assert y_hat.shape == symbols.shape == (3, 4) and decoder.decoded == 12 and decoder.total == 24
    decoder.decode(means[12:], scales[12:])
    decoder.finish()


def test_decoding_past_the_declared_count_or_finishing_early_is_an_error():
    coder = default_gaussian_coder()
    y, means, scales = values(100, 2)
    stream = coder.compress(y, means, scales, substreams=3)
    decoder = coder.pass_decoder(stream, 100)
    decoder.decode(means[:60], scales[:60])
    with pytest.raises(InvalidInputError):
        decoder.decode(means, scales)  # 100 more: only 40 left
    decoder.decode(means[60:], scales[60:])  # the refused call decoded nothing
    with pytest.raises(InvalidInputError):
        decoder.decode(means[:1], scales[:1])
    decoder.finish()
    with pytest.raises(InvalidInputError):
        decoder.finish()  # already finished
    early = coder.pass_decoder(stream, 100)
    early.decode(means[:99], scales[:99])
    with pytest.raises(InvalidInputError):
        early.finish()


def test_a_count_that_does_not_match_the_stream_is_caught():
    coder = default_gaussian_coder()
    y, means, scales = values(100, 3)
    stream = coder.compress(y, means, scales)
    with pytest.raises(AecodecError):  # fewer values than coded: the states are not back at their start
        decoder = coder.pass_decoder(stream, 99)
        decoder.decode(means[:99], scales[:99])
        decoder.finish()
    with pytest.raises(AecodecError):  # more values than coded: the stream runs out or the states mismatch
        decoder = coder.pass_decoder(stream, 101)
        decoder.decode(np.append(means, 0), np.append(scales, 1))
        decoder.finish()


def test_argument_checks_match_decompress():
    coder = default_gaussian_coder()
    y, means, scales = values(10, 4)
    stream = coder.compress(y, means, scales)
    for count in (-1, 1.5, True, None):
        with pytest.raises(InvalidInputError):
            coder.pass_decoder(stream, count)
    with pytest.raises(InvalidInputError):
        coder.pass_decoder("not bytes", 10)
    with pytest.raises(InvalidInputError):
        coder.pass_decoder(None, 10)
    decoder = coder.pass_decoder(bytearray(stream), 10)
    bad_means = means.copy()
    bad_means[2] = np.nan
    for args in ((bad_means, scales), (means, scales[:9]), (means, None), (None, scales), (means.astype(str), scales)):
        with pytest.raises(InvalidInputError):
            decoder.decode(*args)
    with pytest.raises(InvalidInputError):
        decoder.decode(means, scales, threads=0)
    assert decoder.decoded == 0  # refused arguments decode nothing
    nan_scales = scales.copy()
    nan_scales[3] = np.nan
    with pytest.raises(InvalidInputError):  # found by the coder while decoding: the decoder stops there
        decoder.decode(means, nan_scales)
    with pytest.raises(InvalidInputError):
        decoder.decode(means, scales)


def test_bad_headers_fail_on_construction():
    coder = default_gaussian_coder()
    y, means, scales = values(50, 5)
    stream = coder.compress(y, means, scales, substreams=2)
    with pytest.raises(TruncatedStreamError):
        coder.pass_decoder(b"", 50)
    with pytest.raises(CorruptStreamError):
        coder.pass_decoder(b"\x00" + stream[1:], 50)
    with pytest.raises(CorruptStreamError):
        coder.pass_decoder(stream, 1)  # two substreams cannot hold one value
    with pytest.raises(CorruptStreamError):
        coder.pass_decoder(stream + b"\0\0", 50)
    with pytest.raises(TruncatedStreamError):
        coder.pass_decoder(stream[:10], 50)


@pytest.mark.parametrize("substreams", [1, 4])
def test_truncated_and_corrupt_streams_are_errors(substreams):
    """Every truncation is an error; a flipped bit is an error exactly when the one-shot decoder finds it
    (a flip inside escape payload bits decodes to other values with consistent states), and otherwise both
    decode the same values."""
    coder = default_gaussian_coder()
    n = 400
    y, means, scales = values(n, 6)
    stream = coder.compress(y, means, scales, substreams=substreams)
    cuts = [0, 1, 150, 151, 399, 400]
    for cut in range(0, len(stream), 3):
        with pytest.raises(AecodecError):
            decode_in_parts(stream[:cut], means, scales, cuts)
    rng = np.random.default_rng(substreams)
    found = 0
    for _ in range(200):
        b = bytearray(stream)
        b[rng.integers(len(b))] ^= 1 << rng.integers(8)
        try:
            expected = coder.decompress(bytes(b), means, scales)[1]
        except AecodecError:
            expected = None
        try:
            got = decode_in_parts(bytes(b), means, scales, cuts)[1]
        except AecodecError:
            got = None
        assert (got is None) == (expected is None)
        if got is None:
            found += 1
        else:
            assert np.array_equal(got, expected)
    assert found > 100
