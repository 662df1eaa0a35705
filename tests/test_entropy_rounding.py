"""Rate-distortion rounding (aecodec.entropy.rounding): which symbols the encoder codes."""

import numpy as np
import pytest

import aecodec
from aecodec.entropy import default_gaussian_coder, rounding
from aecodec.entropy.rounding import rd_round
from conftest import synthetic_photo


def latent(seed=0, shape=(4, 24, 32)):
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.uniform(np.log(0.11), np.log(20.0), shape)).astype(np.float32)
    residuals = (rng.normal(size=shape) * scales * 1.2).astype(np.float32)
    return residuals, scales


def test_weight_zero_is_plain_rounding():
    residuals, scales = latent()
    np.testing.assert_array_equal(rd_round(residuals, scales, 0.0), np.rint(residuals))


def test_symbols_are_nearest_or_one_step_toward_zero():
    residuals, scales = latent(1)
    nearest = np.rint(residuals)
    symbols = rd_round(residuals, scales)
    assert symbols.dtype == np.float32 and symbols.shape == residuals.shape
    moved = symbols != nearest
    assert moved.any() and not moved.all()
    np.testing.assert_array_equal(symbols[moved], nearest[moved] - np.sign(nearest[moved]))
    assert (symbols[nearest == 0] == 0).all()


@pytest.mark.parametrize("residual, scale, expected", [
    (0.55, 0.2, 0.0),  # a 1 is very unlikely under a narrow table: worth the extra error
    (3.45, 50.0, 3.0),  # under a wide table 2 costs about as much as 3: keep the nearest
    (-0.7, 0.3, -1.0),  # 0.7 from zero: the extra error outweighs the bits
    (-0.52, 0.15, 0.0),
])
def test_known_choices(residual, scale, expected):
    symbols = rd_round(np.array([residual], np.float32), np.array([scale], np.float32))
    assert symbols[0] == expected


def test_lowers_bits_plus_weighted_error_under_the_coders_tables():
    residuals, scales = latent(2)
    means = np.random.default_rng(3).normal(size=residuals.shape).astype(np.float32)
    coder = default_gaussian_coder()
    snapped = coder.snap_scales(scales)

    def cost(symbols):
        bits = coder.estimate_bits(means + symbols, means, snapped)
        return bits + rounding.ROUNDING_WEIGHT * float(((residuals - symbols) ** 2).sum()), bits

    (plain_cost, plain_bits), (rd_cost, rd_bits) = cost(np.rint(residuals)), cost(rd_round(residuals, snapped))
    assert rd_bits < plain_bits and rd_cost < plain_cost


def test_chunks_give_the_same_symbols(monkeypatch):
    residuals, scales = latent(4)
    whole = rd_round(residuals, scales)
    monkeypatch.setattr(rounding, "_CHUNK", 1000)
    np.testing.assert_array_equal(rd_round(residuals, scales), whole)


@pytest.mark.parametrize("model_id", [1, 2])
def test_encoder_files_are_smaller_at_nearly_the_same_quality(model_id):
    image = synthetic_photo(128, 192, seed=9)
    codec = aecodec.Codec(model_id, threads=1, precision="fp32")

    def encoded(weight):
        codec.engine.rounding_weight = weight
        data = codec.encode(image, quality=40)
        decoded = np.asarray(aecodec.decode(data).convert("RGB"), dtype=np.float64)
        return len(data), 10 * np.log10(255**2 / ((decoded - image) ** 2).mean())

    try:
        (plain_bytes, plain_psnr), (rd_bytes, rd_psnr) = encoded(0.0), encoded(rounding.ROUNDING_WEIGHT)
    finally:
        codec.engine.rounding_weight = rounding.ROUNDING_WEIGHT
    assert rd_bytes < plain_bytes
    assert rd_psnr > plain_psnr - 0.5


def test_the_weight_rises_geometrically_from_the_lowest_level_to_the_top():
    low, middle, top = (rounding.level_weight(f) for f in (0.0, 0.5, 1.0))
    assert low == rounding.ROUNDING_WEIGHT and top == pytest.approx(low * rounding.ROUNDING_RISE)
    assert middle == pytest.approx((low * top) ** 0.5)
    assert rounding.level_weight(-1.0) == low and rounding.level_weight(2.0) == top
    assert rounding.level_weight(0.7, weight=0.0) == 0.0  # plain rounding stays plain at every level
