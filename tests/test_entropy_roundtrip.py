"""Round trips of the rANS coders: shapes, extremes, escapes, substreams and threads."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aecodec import _core
from aecodec.entropy import GaussianCoder, IndexedCoder, default_gaussian_coder

I32 = np.iinfo(np.int32)


def latent(rng, shape, smin=0.11, smax=20.0, mean_std=3.0):
    scales = np.exp(rng.uniform(np.log(smin), np.log(smax), shape)).astype(np.float32)
    means = rng.normal(0, mean_std, shape).astype(np.float32)
    y = (means + rng.normal(0, 1, shape) * scales).astype(np.float32)
    return y, means, scales


def check_gaussian(coder, y, means, scales, **kw):
    data = coder.compress(y, means, scales, **kw)
    y_hat, sym = coder.decompress(data, means, scales, threads=kw.get("threads", 1))
    expect = np.rint(y - means)
    assert sym.dtype == np.int32 and y_hat.dtype == np.float32
    assert sym.shape == means.shape and y_hat.shape == means.shape
    np.testing.assert_array_equal(sym, expect.astype(np.int32))
    np.testing.assert_array_equal(y_hat, sym.astype(np.float32) + means)
    return data


@pytest.mark.parametrize("shape", [(0,), (1,), (1, 0, 3), (7,), (2, 3, 4), (1, 8, 16, 16)])
def test_gaussian_shapes(shape):
    rng = np.random.default_rng(sum(shape) + len(shape))
    check_gaussian(default_gaussian_coder(), *latent(rng, shape))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), k=st.integers(1, 8),
       smin=st.sampled_from([1e-4, 0.11, 5.0]), smax=st.sampled_from([0.2, 20.0, 1e4]))
def test_gaussian_random(seed, n, k, smin, smax):
    rng = np.random.default_rng(seed)
    check_gaussian(default_gaussian_coder(), *latent(rng, (n,), smin, max(smax, smin * 2)), substreams=k)


def test_extreme_values_and_all_escape():
    coder = default_gaussian_coder()
    y = np.array([2e9, -2e9, 2.1474835e9, -2.147483648e9, 1e6, -1e6, 0.5, 1.5, -0.5, 2.5], np.float32)
    means = np.zeros_like(y)
    scales = np.full_like(y, 0.11)
    data = check_gaussian(coder, y, means, scales)
    # Every element escapes: tiny scales, values far outside every table.
    rng = np.random.default_rng(1)
    y = rng.choice([-1, 1], 5000).astype(np.float32) * rng.uniform(1e4, 2e9, 5000).astype(np.float32)
    data = check_gaussian(coder, y, np.zeros_like(y), np.full_like(y, 0.05), substreams=3)
    assert len(data) > 5000 * 3  # escapes cost bypass bits


def test_int32_limits_through_indexed():
    coder = IndexedCoder.from_pmfs(np.full((2, 5), 0.2), np.array([5, 3]), np.array([-2, 10]))
    sym = np.array([I32.min, I32.max, I32.min + 1, I32.max - 1, 0, -2, 2, 3, 12, 13, 9, 10], np.int32)
    idx = np.array([0, 1] * 6, np.int32)
    np.testing.assert_array_equal(coder.decompress(coder.compress(sym, idx), idx), sym)


def test_scales_outside_grid_and_index_rule():
    coder = default_gaussian_coder()
    grid = coder.scale_grid
    s = np.concatenate([grid, np.nextafter(grid, 0), np.nextafter(grid, np.inf),
                        [0, -1, -np.inf, np.inf, 1e-30, 1e30, grid[0] / 2, grid[-1] * 2]]).astype(np.float32)
    py = coder.scale_indexes(s)
    np.testing.assert_array_equal(py, _core.scale_indexes(coder._model, s))
    expect = np.array([min(int((grid < v).sum()), len(grid) - 1) for v in s], np.int32)
    np.testing.assert_array_equal(py, expect)
    rng = np.random.default_rng(2)
    r = np.exp(rng.uniform(-12, 12, 100_000)).astype(np.float32)
    np.testing.assert_array_equal(coder.scale_indexes(r), _core.scale_indexes(coder._model, r))
    y = rng.normal(0, 30, s.shape).astype(np.float32)
    finite = np.isfinite(s)
    check_gaussian(coder, y[finite], np.zeros(finite.sum(), np.float32), s[finite])


@pytest.mark.parametrize("k", range(1, 9))
def test_substreams_threads_identical(k):
    rng = np.random.default_rng(k)
    y, means, scales = latent(rng, (1, 16, 20, 24))
    coder = default_gaussian_coder()
    one = check_gaussian(coder, y, means, scales, substreams=k, threads=1)
    two = check_gaussian(coder, y, means, scales, substreams=k, threads=2)
    assert one == two
    assert coder.compress(y, means, scales, substreams=k, threads=8) == one


def test_more_substreams_than_symbols():
    coder = default_gaussian_coder()
    y, means, scales = latent(np.random.default_rng(3), (3,))
    check_gaussian(coder, y, means, scales, substreams=8, threads=2)


def test_non_contiguous_and_other_dtypes():
    rng = np.random.default_rng(4)
    y, means, scales = latent(rng, (6, 8))
    coder = default_gaussian_coder()
    yt, mt, st_ = y.T, means.T.astype(np.float64), scales.T
    data = coder.compress(yt, mt, st_)
    y_hat, sym = coder.decompress(data, mt, st_)
    np.testing.assert_array_equal(sym, np.rint(yt - mt.astype(np.float32)))


def test_precision_and_other_grids():
    rng = np.random.default_rng(5)
    y, means, scales = latent(rng, (2000,), 0.05, 4.0)
    for prec in (9, 12, 16):
        coder = GaussianCoder(scale_min=0.1, scale_max=4.0, num_scales=16, precision=prec)
        check_gaussian(coder, y, means, scales, substreams=2)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), c=st.integers(1, 6), prec=st.integers(4, 16))
def test_indexed_random(seed, n, c, prec):
    rng = np.random.default_rng(seed)
    k = 12
    lengths = rng.integers(1, k + 1, c)
    pmfs = rng.dirichlet(np.ones(k), c) * rng.uniform(0.5, 1.0, (c, 1))
    offsets = rng.integers(-20, 20, c)
    coder = IndexedCoder.from_pmfs(pmfs, lengths, offsets, precision=prec)
    idx = rng.integers(0, c, n).astype(np.int32)
    sym = (offsets[idx] + rng.integers(-3, k + 3, n)).astype(np.int32)
    data = coder.compress(sym, idx)
    np.testing.assert_array_equal(coder.decompress(data, idx), sym)
    assert np.isfinite(coder.estimate_bits(sym, idx))


def test_single_symbol_and_empty_indexed():
    coder = IndexedCoder.from_pmfs(np.array([[0.5, 0.5]]), np.array([2]), np.array([0]))
    for sym in (np.zeros(0, np.int32), np.array([1], np.int32), np.array([[-7]], np.int32)):
        idx = np.zeros_like(sym)
        out = coder.decompress(coder.compress(sym, idx), idx)
        assert out.shape == sym.shape
        np.testing.assert_array_equal(out, sym)


def test_default_coder_is_cached():
    assert default_gaussian_coder() is default_gaussian_coder()
    assert GaussianCoder()._model is default_gaussian_coder()._model


def test_snap_scales_rules():
    coder = default_gaussian_coder()
    grid = coder.scale_grid.astype(np.float64)
    rng = np.random.default_rng(3)
    s = np.concatenate([grid, [0.0, -1.0, 1e-9, 1e9], np.exp(rng.uniform(np.log(0.05), np.log(500), 10_000))])
    nearest = coder.snap_scales(s, "nearest").astype(np.float64)
    expected = grid[np.argmin(np.abs(np.log(np.maximum(s, 1e-300))[:, None] - np.log(grid)[None, :]), axis=1)]
    np.testing.assert_array_equal(nearest, expected)
    ceil = coder.snap_scales(s, "ceil")
    np.testing.assert_array_equal(ceil, grid[coder.scale_indexes(s.astype(np.float32))].astype(np.float32))
    assert (nearest <= ceil).all() and (nearest < ceil).mean() > 0.3
    with pytest.raises(ValueError, match="scale rule"):
        coder.snap_scales(s, "floor")
